// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { editLabels, labelGroups, parseXml } from "./configModel";
import { TEMPLATES } from "./templates";

const CONFIG = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
  </Choices>
</View>`;

function edited(edit: Parameters<typeof editLabels>[2], config = CONFIG): string {
  const out = editLabels(config, "sentiment", edit);
  if ("error" in out) throw new Error(out.error);
  return out.xml;
}

describe("config model", () => {
  it("lists groups with their items", () => {
    expect(labelGroups(CONFIG)).toEqual([
      { name: "sentiment", tag: "Choices", toName: "text", items: [{ value: "Positive", background: null }, { value: "Negative", background: null }] },
    ]);
  });

  it("adds an item with the same tag and indentation", () => {
    const xml = edited({ kind: "add", value: "Neutral", background: "#cccccc" });
    expect(xml).toContain(`<Choice value="Negative"/>\n    <Choice value="Neutral" background="#cccccc"/>\n  </Choices>`);
    expect(labelGroups(xml)[0].items.map((i) => i.value)).toEqual(["Positive", "Negative", "Neutral"]);
  });

  it("renames, recolors and removes without touching the rest", () => {
    let xml = edited({ kind: "rename", from: "Positive", to: "Good" });
    xml = edited({ kind: "recolor", value: "Good", background: "#00ff00" }, xml);
    xml = edited({ kind: "remove", value: "Negative" }, xml);
    expect(xml).toBe(`<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Good" background="#00ff00"/>
  </Choices>
</View>`);
  });

  it("refuses duplicates, empty names and unknown items", () => {
    expect(editLabels(CONFIG, "sentiment", { kind: "add", value: "Positive" })).toEqual({ error: '"Positive" is already there.' });
    expect(editLabels(CONFIG, "sentiment", { kind: "rename", from: "Positive", to: " " })).toEqual({ error: "A label needs a name." });
    expect(editLabels(CONFIG, "sentiment", { kind: "remove", value: "Maybe" })).toEqual({ error: 'No label "Maybe".' });
    expect(editLabels(CONFIG, "nothing", { kind: "remove", value: "Positive" })).toEqual({ error: 'No labels named "nothing".' });
  });

  it("reports XML that does not parse", () => {
    expect(parseXml("<View><Text></View>").error).toBeTruthy();
    expect(parseXml("<Other/>").error).toBe("The config must start with <View>.");
  });

  it("finds label groups in every template", () => {
    for (const template of TEMPLATES) {
      expect(parseXml(template.config).error, template.id).toBeNull();
    }
    expect(labelGroups(TEMPLATES.find((t) => t.id === "ner")!.config)[0].items).toHaveLength(3);
  });
});
