import { createRouter, createWebHistory, type RouteComponent, type RouteRecordRaw } from "vue-router";
import { currentUser } from "./auth/session.ts";

type RouteComponentLoader = () => Promise<RouteComponent | { default: RouteComponent }>;

declare module "vue-router" {
  interface RouteMeta {
    /** Reachable without a session; signed-in users are sent to their files instead. */
    guest?: boolean;
    /** Reachable with or without a session (a mailed link may be opened in a signed-in browser). */
    anyone?: boolean;
    title: string;
  }
}

/**
 * A page at `/<name>`, its component loaded on first visit. Pages need a session unless `access` says a guest
 * (`guest`) or anyone (`anyone`) may open them.
 */
function page(
  name: string,
  title: string,
  component: RouteComponentLoader,
  access?: "guest" | "anyone",
): RouteRecordRaw {
  return { path: `/${name}`, name, component, meta: { title, ...(access ? { [access]: true } : {}) } };
}

const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/files" },
  page("sign-in", "Sign in", () => import("./pages/SignInPage.vue"), "guest"),
  page("sign-up", "Create account", () => import("./pages/SignUpPage.vue"), "guest"),
  page("forgot-password", "Reset password", () => import("./pages/ForgotPasswordPage.vue"), "guest"),
  page("reset-password", "Set a new password", () => import("./pages/ResetPasswordPage.vue"), "anyone"),
  page("export", "Export", () => import("./pages/ExportPage.vue")),
  page("files", "Files", () => import("./pages/FilesPage.vue")),
  page("profile", "Profile", () => import("./pages/ProfilePage.vue")),
  page("activity", "Activity", () => import("./pages/ActivityPage.vue")),
  page("links", "Links", () => import("./pages/LinksPage.vue")),
  // An upload request's guest page: no account needed, signed in or not.
  {
    path: "/u/:token",
    name: "guest-upload",
    component: () => import("./pages/GuestUploadPage.vue"),
    meta: { anyone: true, title: "Send files" },
  },
  page("webhooks", "Webhooks", () => import("./pages/WebhooksPage.vue")),
  {
    path: "/:pathMatch(.*)*",
    name: "not-found",
    component: () => import("./pages/NotFoundPage.vue"),
    meta: { guest: true, title: "Not found" },
  },
];

/** The SPA's router: history mode (the API serves index.html for unknown paths) with a session guard. */
export function createAppRouter() {
  const router = createRouter({ history: createWebHistory(), routes });
  router.beforeEach(async (to) => {
    if (to.name === "not-found" || to.meta.anyone) return true;
    const user = await currentUser();
    if (to.meta.guest) return user ? { name: "files" } : true;
    if (!user) return { name: "sign-in", query: to.fullPath === "/files" ? {} : { redirect: to.fullPath } };
    return true;
  });
  router.afterEach((to) => {
    document.title = `${to.meta.title} · Signet`;
  });
  return router;
}
