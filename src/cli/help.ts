// Help texts, all rendered from the command table (commands.ts) and the variables table (config.ts).
import { variablesHelp } from '../config.ts';
import { COMMAND_GROUPS, COMMANDS, type Command, type Options } from './commands.ts';

const HELP_OPTION = '  -h, --help                show this help\n';

function commandName(command: Command): string {
  return `ringmaster ${command.path.join(' ')}`;
}

function usageLine(command: Command): string {
  return `${commandName(command)}${command.usage ? ` ${command.usage}` : ''}`;
}

/** `ringmaster --help`: every command, the global options, every environment variable. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length)) + 2;
  const commands = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`).join('\n');
  return `Usage: ringmaster <command> [options]

Commands:
${commands}

Run \`ringmaster <command> --help\` for a command's options (e.g. ringmaster tokens create --help).

Options:
${HELP_OPTION}  --version                 print the version

Environment variables (the server and the commands on the database read the first ones;
ringmaster groups reads CLOUDFLARE_*):
${variablesHelp()}

Exit codes: 0 success, 1 failure, 2 usage or configuration error, 3 the API refused, 4 server unreachable.
`;
}

/** `ringmaster tokens --help`: the commands under one first word. */
export function groupHelp(word: string): string {
  const commands = COMMANDS.filter((c) => c.path[0] === word);
  const width = Math.max(...commands.map((c) => c.path.join(' ').length)) + 2;
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`);
  return `Usage: ringmaster ${word} <${commands.map((c) => c.path[1]).join('|')}> [options]

${COMMAND_GROUPS[word] ?? ''}

Commands:
${lines.join('\n')}

Run \`ringmaster ${word} <command> --help\` for a command's options.
`;
}

/** One command's help: usage, summary, options, details. */
export function commandHelp(command: Command): string {
  const details = command.details ? `\n${command.details}\n` : '';
  return `Usage: ${usageLine(command)}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

Options:
${optionLines(command.options)}${details}`;
}

function optionLines(options: Options): string {
  const lines: [string, string][] = Object.entries(options).map(([name, spec]) => [
    `--${name}${spec.value ? ` ${spec.value}` : ''}`,
    spec.description.replaceAll('`', ''),
  ]);
  lines.push(['-h, --help', 'show this help']);
  const width = Math.max(...lines.map(([flag]) => flag.length)) + 2;
  return lines.map(([flag, text]) => `  ${flag.padEnd(width)}${text}\n`).join('');
}

/** The hint a usage error ends with. */
export function helpHint(path: string[]): string {
  return `Run \`ringmaster${path.length ? ` ${path.join(' ')}` : ''} --help\` for usage.`;
}
