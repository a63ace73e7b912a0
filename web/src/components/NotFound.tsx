import { Link } from "react-router-dom";

/** The page for an address the app does not know. */
export function NotFound() {
  return (
    <div className="empty">
      <p>Nothing here.</p>
      <Link to="/projects">Back to projects</Link>
    </div>
  );
}
