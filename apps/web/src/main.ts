import { createApp } from "vue";
import App from "./App.vue";
import { createAppRouter } from "./router.ts";
import { appStateKey, createAppState } from "./state.ts";
import "./styles.css";

const app = createApp(App);
app.provide(appStateKey, createAppState());
app.use(createAppRouter());
app.mount("#app");
