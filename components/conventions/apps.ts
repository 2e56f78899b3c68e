/**
 * Frappe app names are Python package names: `bench new-app` scrubs what it is given to lower case
 * with `_` for spaces and `-`. Sites list apps by this name, and bench installs each into `apps/<name>`.
 */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

export const APP_NAME_DESCRIPTION = "an app name such as erpnext or hrms (a-z, 0-9, _)";
