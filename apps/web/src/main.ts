import { createApp } from "vue";
import App from "./App.vue";
import { setUnauthorizedHandler } from "./api/client.ts";
import { forgetSession } from "./auth/session.ts";
import { createAppRouter } from "./router.ts";
import { appStateKey, createAppState } from "./state.ts";
import "./styles.css";

const app = createApp(App);
const state = createAppState();
const router = createAppRouter();
setUnauthorizedHandler(() => {
  const here = router.currentRoute.value;
  if (here.meta.guest) return;
  void state.reset();
  forgetSession();
  void router.push({ name: "sign-in", query: { redirect: here.fullPath } });
});
// Public and needed by several pages; fetched once, early.
void state.limits.load();
app.provide(appStateKey, state);
app.use(router);
app.mount("#app");
