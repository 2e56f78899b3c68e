export * from "./image";
export * from "./naming";
export * from "./tags";
