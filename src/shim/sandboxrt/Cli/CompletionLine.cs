namespace SandboxRt.Cli.Cli;

/// <summary>
/// The line a shell asks completions for (`sandboxrt [suggest:N] "LINE"`), made fit for System.CommandLine.
/// A repeatable flag (--env, --cap, --config-option) has arity one-or-more there, so whatever follows its
/// value, the word being completed included, would be read as one more of its values and nothing would be
/// offered. Repeatable flags never change what may follow them, so they and their values are left out of
/// the line before the word under the cursor, and the cursor moves with the text.
/// </summary>
internal static class CompletionLine
{
    private const string Directive = "[suggest:";

    /// <param name="repeatable">Flag names (without dashes) that keep every value.</param>
    /// <param name="takesValue">Flag names (without dashes) whose value may be the next word.</param>
    public static IReadOnlyList<string> WithoutRepeatedFlags(IReadOnlyList<string> args, IReadOnlySet<string> repeatable, IReadOnlySet<string> takesValue)
    {
        if (args.Count != 2 || !args[0].StartsWith(Directive, StringComparison.Ordinal) || !args[0].EndsWith(']')
            || !int.TryParse(args[0].AsSpan(Directive.Length, args[0].Length - Directive.Length - 1), out int position))
            return args;
        var line = args[1];
        position = Math.Clamp(position, 0, line.Length);
        var before = line[..position];
        var words = before.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int cursorWord = before.EndsWith(' ') || before.Length == 0 ? words.Length : words.Length - 1;
        var kept = new List<string>();
        for (int i = 0; i < words.Length; i++)
        {
            var word = words[i];
            if (i >= cursorWord || word == "--")
            {
                kept.AddRange(words[i..]); // the word being completed, and anything after `--`, as typed
                break;
            }
            var (name, inline) = FlagName(word);
            if (name is not null && repeatable.Contains(name))
            {
                if (!inline && i + 1 < cursorWord)
                    i++; // its value goes too
                continue;
            }
            kept.Add(word);
            if (name is not null && !inline && takesValue.Contains(name) && i + 1 < cursorWord)
                kept.Add(words[++i]); // a value that starts with a dash is still a value
        }
        var rebuilt = string.Join(' ', kept) + (cursorWord == words.Length && kept.Count > 0 ? " " : "");
        return [$"{Directive}{rebuilt.Length}]", rebuilt + line[position..]];
    }

    /// <summary>The flag's name without its dashes and whether its value is in the same word (`--env=A`); null for a word that is no flag.</summary>
    private static (string? Name, bool Inline) FlagName(string word)
    {
        if (word.Length < 2 || word[0] != '-' || word == "--")
            return (null, false);
        var body = word.AsSpan(word[1] == '-' ? 2 : 1);
        int eq = body.IndexOf('=');
        return eq >= 0 ? (body[..eq].ToString(), true) : (body.ToString(), false);
    }
}
