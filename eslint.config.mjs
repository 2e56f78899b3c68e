// Type-aware typescript-eslint rules plus Pulumi's own plugin, which catches Outputs used in
// template literals (they render as "Calling [toString] on an Output<T> is not supported").
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", ".ci/.tools/**", "**/*.mjs", "**/*.js"] },
    {
        files: ["**/*.ts"],
        extends: [...tseslint.configs.recommendedTypeChecked],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
        },
    },
    {
        // Functions short enough to read at once (issue 11); tests beside the logic included.
        files: ["components/**/*.ts"],
        rules: {
            "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }],
        },
    },
    {
        files: ["test/**/*.ts", "**/*.test.ts"],
        rules: {
            "@typescript-eslint/no-unused-expressions": "off",
        },
    },
);
