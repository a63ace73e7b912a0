import { Link } from "react-router-dom";
import { ApiError } from "../api";

/** The page for an address the app does not know. */
export function NotFound() {
  return (
    <div className="empty">
      <p>Nothing here.</p>
      <Link to="/projects">Back to projects</Link>
    </div>
  );
}

/** Why a project page cannot show its project: it does not exist or is not the user's to see
 * (the server answers both with a 404), or loading it failed. */
export function ProjectProblem({ error }: { error: Error }) {
  if (error instanceof ApiError && error.status === 404) {
    return (
      <div className="empty" data-testid="unknown-project">
        <h2>No such project</h2>
        <p className="muted">It may have been deleted, or it belongs to a workspace or organization you are not in.</p>
        <Link to="/projects" className="button primary">Back to projects</Link>
      </div>
    );
  }
  return <p className="error" role="alert">{error.message}</p>;
}
