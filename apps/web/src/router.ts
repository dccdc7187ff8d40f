import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { currentUser } from "./auth/session.ts";

declare module "vue-router" {
  interface RouteMeta {
    /** Reachable without a session; signed-in users are sent to their files instead. */
    guest?: boolean;
    /** Reachable with or without a session (a mailed link may be opened in a signed-in browser). */
    anyone?: boolean;
    title: string;
  }
}

const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/files" },
  {
    path: "/sign-in",
    name: "sign-in",
    component: () => import("./pages/SignInPage.vue"),
    meta: { guest: true, title: "Sign in" },
  },
  {
    path: "/sign-up",
    name: "sign-up",
    component: () => import("./pages/SignUpPage.vue"),
    meta: { guest: true, title: "Create account" },
  },
  {
    path: "/forgot-password",
    name: "forgot-password",
    component: () => import("./pages/ForgotPasswordPage.vue"),
    meta: { guest: true, title: "Reset password" },
  },
  {
    path: "/reset-password",
    name: "reset-password",
    component: () => import("./pages/ResetPasswordPage.vue"),
    meta: { anyone: true, title: "Set a new password" },
  },
  {
    path: "/export",
    name: "export",
    component: () => import("./pages/ExportPage.vue"),
    meta: { title: "Export" },
  },
  {
    path: "/files",
    name: "files",
    component: () => import("./pages/FilesPage.vue"),
    meta: { title: "Files" },
  },
  {
    path: "/profile",
    name: "profile",
    component: () => import("./pages/ProfilePage.vue"),
    meta: { title: "Profile" },
  },
  {
    path: "/activity",
    name: "activity",
    component: () => import("./pages/ActivityPage.vue"),
    meta: { title: "Activity" },
  },
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
