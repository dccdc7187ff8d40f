/**
 * The account domain as its router sees it: one entry point per procedure, each living in the module of its
 * concept (standing, export, deletion).
 */
export { deleteAccount } from "./account-deletion.ts";
export { exportFiles } from "./account-export.ts";
export { accountStatus } from "./account-standing.ts";
