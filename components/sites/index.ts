export * from "./removals";
