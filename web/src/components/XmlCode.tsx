import { xml } from "@codemirror/lang-xml";
import { basicSetup, EditorView } from "codemirror";
import { useEffect, useRef } from "react";

/** CodeMirror with XML highlighting, kept in step with `value` (loaded lazily: it is big). */
export default function XmlCode({ value, onChange, label }: { value: string; onChange(value: string): void; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    view.current = new EditorView({
      doc: value,
      parent: host.current!,
      extensions: [
        basicSetup,
        xml(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => update.docChanged && changed.current(update.state.doc.toString())),
      ],
    });
    return () => view.current?.destroy();
    // Created once; later values arrive through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== value) {
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
    }
  }, [value]);
  return <div ref={host} className="xml-code" data-testid="xml-code" />;
}
