/**
 * The rules a command shown to an operator (in the docs, or in a message the program prints) must follow:
 * no secret value on a command line (shell history, `ps`), no export with secrets into a file others can
 * read, no secret-looking variable with its value in a docker -e/--env.
 */

/** Every place in `texts` that breaks a rule, as `file: line`. */
export function secretCommandFindings(texts: readonly { file: string; text: string }[]): string[] {
    const rules: [RegExp, string][] = [
        [
            /pulumi config set (?:--path )?--secret (?:'[^']+'|<[^>\s]+>|[\w.:[\]]+) (?!--)[^\s`]+/,
            "a secret value on the command line",
        ],
        [/--show-secrets[^\n]*--file|--file[^\n]*--show-secrets/, "an export with secrets to a file"],
        [/(?:-e|--env) [A-Z_]*(?:PASSWORD|SECRET|TOKEN|_KEY)[A-Z_]*=/, "a secret in a docker -e/--env value"],
    ];
    return texts.flatMap(({ file, text }) =>
        text
            .split("\n")
            .flatMap((line) =>
                rules
                    .filter(
                        ([re, what]) => re.test(line) && !(what.startsWith("an export") && line.includes("umask 077")),
                    )
                    .map(([, what]) => `${file}: ${what}: ${line.trim()}`),
            ),
    );
}
