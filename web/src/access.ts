// What the signed-in user may do, from the permission names `whoami` lists (the server's role
// matrix): the app offers only what the role allows, and says who can change it.
import type { Me } from "./api";
import { ROLES } from "./lib";

/** The permission names the app checks. */
export type Permission =
  | "projects.create"
  | "projects.change"
  | "tasks.create"
  | "tasks.change"
  | "actions.perform"
  | "views.view"
  | "views.change"
  | "annotations.create"
  | "organizations.invite"
  | "organizations.change";

/** Whether the user holds `permission` in the active organization. */
export function can(me: Me, permission: Permission): boolean {
  return me.permissions?.includes(permission) ?? false;
}

/** The user's role code in the active organization (`OW`, `AD`, `MA`, `RE`, `AN`, ...). */
export function roleCode(me: Me): string | undefined {
  return me.organization_membership?.role;
}

/** The user's role in the active organization, in words ("Annotator"). */
export function roleTitle(me: Me): string {
  const code = roleCode(me);
  return ROLES.find((r) => r.code === code)?.title ?? "Member";
}

/** Who can give the user more rights: the organization's owners and administrators. */
export function whoCanChange(me: Me): string {
  const owner = me.active_organization_meta?.email;
  return owner ? `an administrator or the owner of the organization (${owner})` : "an administrator or the owner of the organization";
}
