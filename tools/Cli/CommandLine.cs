using System.Globalization;

namespace EmailPipeline.Cli;

/// <summary>
/// The parsed words after the command: positionals, <c>--name value</c> (or <c>--name=value</c>) and bare flags.
/// Each command says which options it takes, so a typo is a usage error instead of being ignored.
/// </summary>
public sealed class CommandLine
{
    private static readonly string[] GlobalOptions = ["store", "rabbitmq"];

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine(string command)
    {
        Command = command;
    }

    public string Command { get; }

    public List<string> Positionals { get; } = [];

    public static CommandLine Parse(string command, IReadOnlyList<string> args, IEnumerable<string> valueOptions, IEnumerable<string> flags)
    {
        var values = new HashSet<string>(valueOptions.Concat(GlobalOptions), StringComparer.Ordinal);
        var known = new HashSet<string>(flags, StringComparer.Ordinal);
        var line = new CommandLine(command);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                line.Positionals.AddRange(args.Skip(i + 1));
                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                line.Positionals.Add(arg);
                continue;
            }

            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (values.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw CliException.Usage($"{command}: --{name} needs a value");
                    }

                    value = args[++i];
                }

                if (!line._values.TryGetValue(name, out List<string>? list))
                {
                    line._values[name] = list = [];
                }

                list.Add(value);
            }
            else if (known.Contains(name) && value is null)
            {
                line._flags.Add(name);
            }
            else
            {
                throw CliException.Usage($"{command}: unknown option --{name}");
            }
        }

        return line;
    }

    public string? Value(string name) => _values.TryGetValue(name, out List<string>? list) ? list[^1] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out List<string>? list) ? list : [];

    public bool Flag(string name) => _flags.Contains(name);

    public int Int(string name, int fallback)
    {
        string? text = Value(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw CliException.Usage($"{Command}: --{name} must be a positive whole number, not '{text}'");
    }

    /// <summary>Exactly <paramref name="count"/> positionals, named in the usage message.</summary>
    public void Expect(int count, string usage)
    {
        if (Positionals.Count != count)
        {
            throw CliException.Usage($"usage: emailpipeline {usage}");
        }
    }

    /// <summary>A duration such as 90s, 15m, 1h, 2d or 1w.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) && n >= 0)
        {
            TimeSpan? span = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                'w' => TimeSpan.FromDays(7 * n),
                _ => null,
            };
            if (span is { } s)
            {
                return s;
            }
        }

        throw CliException.Usage($"'{text}' is not a duration (use e.g. 90s, 15m, 1h, 2d)");
    }
}
