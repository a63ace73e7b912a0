// The visual editor's model of a labeling config: the tags that hold labels or choices, and edits
// of their items made on the XML itself so that everything else in the config stays as written
// (unit-tested in configModel.test.ts).

/** A tag whose children are the labels or choices people pick from. */
export interface LabelGroup {
  name: string;
  tag: string;
  toName: string;
  items: { value: string; background: string | null }[];
}

/** An edit of one group's items. */
export type LabelEdit =
  | { kind: "add"; value: string; background?: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "recolor"; value: string; background: string }
  | { kind: "remove"; value: string };

/** The config parsed, or why it is not well-formed XML. */
export function parseXml(xml: string): { doc: Document | null; error: string | null } {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const failure = doc.getElementsByTagName("parsererror")[0];
  if (failure) return { doc: null, error: (failure.textContent ?? "The XML is not well-formed.").trim().split("\n")[0] };
  if (doc.documentElement?.tagName !== "View") return { doc: null, error: "The config must start with <View>." };
  return { doc, error: null };
}

function isItem(element: Element): boolean {
  return element.tagName === "Label" || element.tagName === "Choice";
}

function groupElements(doc: Document): Element[] {
  return Array.from(doc.getElementsByTagName("*")).filter((el) => el.getAttribute("name") && Array.from(el.children).some(isItem));
}

/** The groups of labels and choices in a config (empty when it does not parse). */
export function labelGroups(xml: string): LabelGroup[] {
  const { doc } = parseXml(xml);
  if (!doc) return [];
  return groupElements(doc).map((el) => ({
    name: el.getAttribute("name") ?? "",
    tag: el.tagName,
    toName: el.getAttribute("toName") ?? "",
    items: Array.from(el.children).filter(isItem).map((item) => ({ value: item.getAttribute("value") ?? "", background: item.getAttribute("background") })),
  }));
}

/** Applies an edit to the group named `group`; returns the new config, or an error for people. */
export function editLabels(xml: string, group: string, edit: LabelEdit): { xml: string } | { error: string } {
  const { doc, error } = parseXml(xml);
  if (!doc) return { error: error ?? "The config does not parse." };
  const parent = groupElements(doc).find((el) => el.getAttribute("name") === group);
  if (!parent) return { error: `No labels named "${group}".` };
  const items = Array.from(parent.children).filter(isItem);
  const find = (value: string) => items.find((item) => item.getAttribute("value") === value);
  switch (edit.kind) {
    case "add": {
      const value = edit.value.trim();
      if (!value) return { error: "A label needs a name." };
      if (find(value)) return { error: `"${value}" is already there.` };
      const last = items[items.length - 1];
      const item = doc.createElementNS(parent.namespaceURI, last?.tagName ?? (parent.tagName === "Choices" ? "Choice" : "Label"));
      item.setAttribute("value", value);
      if (edit.background) item.setAttribute("background", edit.background);
      const indent = last?.previousSibling?.nodeType === 3 ? last.previousSibling.textContent ?? "" : "\n    ";
      const anchor = last ? last.nextSibling : null;
      parent.insertBefore(doc.createTextNode(indent), anchor);
      parent.insertBefore(item, anchor);
      break;
    }
    case "rename": {
      const to = edit.to.trim();
      const item = find(edit.from);
      if (!item) return { error: `No label "${edit.from}".` };
      if (!to) return { error: "A label needs a name." };
      if (to !== edit.from && find(to)) return { error: `"${to}" is already there.` };
      item.setAttribute("value", to);
      break;
    }
    case "recolor": {
      const item = find(edit.value);
      if (!item) return { error: `No label "${edit.value}".` };
      item.setAttribute("background", edit.background);
      break;
    }
    case "remove": {
      const item = find(edit.value);
      if (!item) return { error: `No label "${edit.value}".` };
      const before = item.previousSibling;
      if (before?.nodeType === 3 && !before.textContent?.trim()) before.remove();
      item.remove();
      break;
    }
  }
  return { xml: new XMLSerializer().serializeToString(doc) };
}

/** A color for the n-th new label, from a palette that tells neighbours apart. */
export function paletteColor(index: number): string {
  const palette = ["#4a90e2", "#f5a623", "#7ed321", "#d0021b", "#9013fe", "#50e3c2", "#b8e986", "#bd10e0", "#8b572a", "#417505"];
  return palette[index % palette.length];
}
