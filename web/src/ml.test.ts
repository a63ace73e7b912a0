import { describe, expect, it } from "vitest";
import { mlBody, mlFormOf, mlState, type MlBackend } from "./ml";

const backend = (more: Partial<MlBackend>): MlBackend => ({
  id: 1, state: "CO", readable_state: "Connected", is_interactive: false, url: "http://model:9090", error_message: null, title: "Model",
  auth_method: "NONE", basic_auth_user: "", basic_auth_pass_is_set: false, description: "", extra_params: null, model_version: "v1", project: 3, ...more,
});

describe("ML backend form", () => {
  it("sends Label Studio's fields, a default title, and credentials only with Basic auth", () => {
    const form = { ...mlFormOf(), url: " http://model:9090 ", extraParams: '{"label": "Positive"}' };
    expect(mlBody(3, form)).toEqual({
      project: 3, url: "http://model:9090", title: "default", description: "", is_interactive: false, auth_method: "NONE", extra_params: '{"label": "Positive"}',
    });
    const auth = mlBody(3, { ...form, basicAuth: true, user: "u", password: "" });
    expect(auth).toMatchObject({ auth_method: "BASIC_AUTH", basic_auth_user: "u", basic_auth_pass: "" });
  });

  it("reads a backend back into the form", () => {
    const form = mlFormOf(backend({ auth_method: "BASIC_AUTH", basic_auth_user: "u", extra_params: { a: 1 } }));
    expect(form.basicAuth).toBe(true);
    expect(form.password).toBe("");
    expect(form.extraParams).toBe('{"a":1}');
  });

  it("says the state, with the error when it is one", () => {
    expect(mlState(backend({}))).toBe("Connected");
    expect(mlState(backend({ state: "ER", readable_state: "Error", error_message: "boom" }))).toBe("Error: boom");
    expect(mlState(backend({ state: "TR", readable_state: "Training", error_message: "old" }))).toBe("Training");
  });
});
