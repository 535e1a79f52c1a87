using SandboxRt.Runtime.CommandLine;
using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Cli.Commands;

namespace SandboxRt.UnitTests.Cli;

/// <summary>
/// The sandboxrt command line (System.CommandLine read with Go's flag rules, <see cref="CliParser"/>):
/// global flags before the verb, every verb's flags in every spelling Go accepts, the exec/ps argv
/// rule, and the usage errors in Go's and runc's words.
/// </summary>
[Trait("Tier", "unit")]
public sealed class CliParserTests
{
    private static CliLine Parse(params string[] args) => CliParser.Parse(args);

    private static CommandArgs Verb(params string[] args)
    {
        var line = Parse(args);
        Assert.Null(line.Error);
        return line.Arguments!;
    }

    private static string VerbError(params string[] args) => Assert.IsType<UsageException>(Parse(args).Error).Message;

    private static string GlobalError(params string[] args) => Assert.Throws<UsageException>(() => Parse(args)).Message;

    private static IEnumerable<ICommand> Verbs => CommandTable.All.Concat(CommandTable.Hidden);

    public static TheoryData<string, string> EveryVerbFlag()
    {
        var data = new TheoryData<string, string>();
        foreach (var command in Verbs)
            foreach (var option in command.Options)
                data.Add(command.Name, option.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryVerbFlag))]
    public void Every_verb_flag_is_read_in_each_of_Gos_spellings(string verb, string flag)
    {
        var option = Verbs.Single(c => c.Name == verb).Options.Single(o => o.Name == flag);
        var name = flag[2..];
        var spellings = new[] { flag, $"-{name}" }.Concat(option.Aliases.SelectMany(a => new[] { a, $"-{a}" }));
        foreach (var spelling in spellings)
        {
            if (GoFlagRules.IsSwitch(option))
            {
                Assert.True(Verb(verb, spelling, "id").Bool(name), spelling);
                Assert.True(Verb(verb, spelling, "id").Has(name), spelling);
                Assert.False(Verb(verb, $"{spelling}=false", "id").Bool(name), spelling);
                Assert.Equal(["id"], Verb(verb, $"{spelling}=F", "id").Positionals);
            }
            else
            {
                var separate = Verb(verb, spelling, "v1", "id");
                Assert.Equal("v1", separate.Value(name));
                Assert.True(separate.Has(name), spelling);
                Assert.Equal(["id"], separate.Positionals);
                Assert.Equal("a=b:c", Verb(verb, $"{spelling}=a=b:c", "id").Value(name));
                Assert.Equal("-1", Verb(verb, spelling, "-1", "id").Value(name));
                Assert.Equal("", Verb(verb, $"{spelling}=", "id").Value(name));
            }
        }
        Assert.False(Verb(verb, "id").Has(name));
    }

    [Fact]
    public void Global_flags_stop_at_the_verb_and_accept_runc_forms()
    {
        var line = Parse("--root", "/run/x", "-log=/tmp/l.json", "--log-format", "json", "--systemd-cgroup", "-debug",
                         "--config", "/c.toml", "--criu", "criu", "--rootless=auto", "create", "--bundle", "/b", "id");
        Assert.Equal("/run/x", line.Global.Root);
        Assert.Equal("/tmp/l.json", line.Global.LogPath);
        Assert.Equal("json", line.Global.LogFormat);
        Assert.True(line.Global.SystemdCgroup);
        Assert.True(line.Global.Debug);
        Assert.Equal("/c.toml", line.Global.ConfigPath);
        Assert.Equal("create", line.Verb);
        Assert.IsType<CreateCommand>(line.Command);
        Assert.Equal("/b", line.Arguments!.Value("bundle"));
        Assert.Equal(["id"], line.Arguments.Positionals);
    }

    [Fact]
    public void Without_global_flags_the_defaults_are_runcs()
    {
        var line = Parse("state", "id");
        Assert.Equal(GlobalOptions.DefaultRoot, line.Global.Root);
        Assert.Null(line.Global.LogPath);
        Assert.Equal("text", line.Global.LogFormat);
        Assert.False(line.Global.Debug);
        Assert.Null(line.Global.ConfigPath);
        Assert.Empty(line.Global.ConfigOverrides);
    }

    [Fact]
    public void Global_flag_errors_are_Gos()
    {
        // Before the Go rules: `sandboxrt --bogus create` said "unknown command '--bogus'"; Go names the flag.
        Assert.Equal("flag provided but not defined: -bogus", GlobalError("--bogus", "create"));
        Assert.Equal("flag needs an argument: -root", GlobalError("--root"));
        Assert.Equal("flag needs an argument: -log", GlobalError("-log"));
        Assert.Equal("invalid boolean value \"maybe\" for -debug: parse error", GlobalError("--debug=maybe", "state", "x"));
        Assert.Equal("bad flag syntax: ---root", GlobalError("---root", "x", "state"));
        Assert.Equal("bad flag syntax: -=x", GlobalError("-=x", "state"));
        Assert.Equal("--log-format: 'xml' is not text or json", GlobalError("--log-format", "xml", "state", "x"));
    }

    [Fact]
    public void A_global_flag_after_the_verb_is_the_verbs_unknown_flag()
    {
        Assert.Equal("flag provided but not defined: -root", VerbError("create", "--root", "/x", "id"));
        Assert.Equal(GlobalOptions.DefaultRoot, Parse("create", "--root", "/x", "id").Global.Root);
    }

    [Fact]
    public void A_boolean_flag_never_takes_the_next_argument()
    {
        var line = Parse("--debug", "false", "state", "x");
        Assert.True(line.Global.Debug);
        Assert.Equal("false", line.Verb);
        Assert.Null(line.Command);
        Assert.False(Parse("--debug=0", "state", "x").Global.Debug);
        Assert.True(Parse("--debug=t", "state", "x").Global.Debug);
        var delete = Verb("delete", "--force", "true");
        Assert.True(delete.Bool("force"));
        Assert.Equal(["true"], delete.Positionals);
    }

    [Fact]
    public void A_repeated_flag_keeps_its_last_value_and_all_its_values()
    {
        var line = Parse("--root", "/a", "--root=/b", "--config-option", "default_vcpus=2", "--config-option=debug=true", "check");
        Assert.Equal("/b", line.Global.Root);
        Assert.Equal("2", line.Global.ConfigOverrides["default_vcpus"]);
        Assert.Equal("true", line.Global.ConfigOverrides["debug"]);
        Assert.Equal("--config-option: 'oops' is not key=value", GlobalError("--config-option", "oops", "check"));
    }

    [Fact]
    public void Version_and_help_are_global_flags()
    {
        Assert.True(Parse("--version").Version);
        Assert.True(Parse("-v").Version);
        Assert.True(Parse("--help").Help);
        Assert.True(Parse("-h", "--help=true").Help);
        Assert.False(Parse("--help=false", "state", "x").Help);
        Assert.True(Parse("-v", "--version=false", "-version").Version);
        Assert.True(Parse("-h", "create").Help);
        Assert.False(Parse("-h", "create").VerbHelp);
        Assert.True(Parse("create", "--help").VerbHelp);
        Assert.True(Parse("exec", "-h").VerbHelp);
        Assert.True(Parse("delete", "id", "-help").VerbHelp);
        Assert.Null(Parse().Verb);
        Assert.Null(Parse("--root", "/x").Verb);
    }

    [Fact]
    public void An_unknown_verb_is_named_not_parsed()
    {
        var line = Parse("--root", "/x", "bogus", "--whatever");
        Assert.Equal("bogus", line.Verb);
        Assert.Null(line.Command);
        Assert.Null(line.Error);
    }

    [Fact]
    public void Runc_verbs_take_flags_after_the_id()
    {
        var delete = Verb("delete", "id", "--force");
        Assert.Equal(["id"], delete.Positionals);
        Assert.True(delete.Bool("force"));
        Assert.Equal(["id"], Verb("delete", "id", "-f=1").Positionals);
        var create = Verb("create", "id", "--bundle", "/b", "--pid-file=/p");
        Assert.Equal(["id"], create.Positionals);
        Assert.Equal("/b", create.Value("bundle"));
        Assert.Equal("/p", create.Value("pid-file"));
        var kill = Verb("kill", "id", "KILL", "--all");
        Assert.Equal(["id", "KILL"], kill.Positionals);
        Assert.True(kill.Bool("all"));
    }

    [Fact]
    public void After_the_id_an_unknown_flag_is_an_argument_but_before_it_an_error()
    {
        Assert.Equal(["id", "-x"], Verb("delete", "id", "-x").Positionals);
        Assert.Equal(["id", "-9"], Verb("kill", "id", "-9").Positionals);
        Assert.Equal("flag provided but not defined: -x", VerbError("delete", "-x", "id"));
        Assert.Equal("flag provided but not defined: -x", VerbError("exec", "-x", "id", "sh"));
        Assert.Equal("invalid boolean value \"maybe\" for -force: parse error", VerbError("delete", "--force=maybe", "id"));
        Assert.Equal("invalid boolean value \"maybe\" for -f: parse error", VerbError("delete", "id", "-f=maybe"));
        Assert.Equal("flag needs an argument: -c", VerbError("exec", "-c"));
        Assert.Equal("flag needs an argument: -bundle", VerbError("create", "id", "-bundle"));
    }

    [Fact]
    public void Double_dash_ends_the_flags()
    {
        Assert.Equal(["--force"], Verb("delete", "--", "--force").Positionals);
        Assert.False(Verb("delete", "--", "--force").Bool("force"));
        Assert.Equal(["id", "sh"], Verb("exec", "-t", "--", "id", "sh").Positionals);
    }

    [Fact]
    public void Exec_leaves_everything_after_the_id_to_the_process()
    {
        var exec = Verb("exec", "-t", "--env", "A=1", "-e=B=2", "--cwd", "/w", "-u", "1:2", "-g", "5", "--additional-gids=6", "--cap", "CAP_X",
                        "id", "sh", "-c", "x", "--tty=1", "-e", "C=3", "--", "@file", "-");
        Assert.True(exec.Bool("tty"));
        Assert.Equal(["A=1", "B=2"], exec.Values("env"));
        Assert.Equal("/w", exec.Value("cwd"));
        Assert.Equal("1:2", exec.Value("user"));
        Assert.Equal(["5", "6"], exec.Values("additional-gids"));
        Assert.Equal(["CAP_X"], exec.Values("cap"));
        Assert.Equal(["id", "sh", "-c", "x", "--tty=1", "-e", "C=3", "--", "@file", "-"], exec.Positionals);
        Assert.Equal(["ls", "-la"], ExecCommand.CommandLine(Verb("exec", "id", "ls", "-la").Positionals));
        Assert.Equal(["sh", "-c", "x"], ExecCommand.CommandLine(Verb("exec", "id", "--", "sh", "-c", "x").Positionals));
        Assert.Equal(["id", "-t"], Verb("exec", "id", "-t").Positionals);
        Assert.False(Verb("exec", "id", "-t").Bool("tty"));
        Assert.Equal("/p.json", Verb("exec", "-p", "/p.json", "id").Value("process"));
    }

    [Fact]
    public void Ps_leaves_everything_after_the_id_to_ps()
    {
        var ps = Verb("ps", "-f", "json", "id", "-ef", "--format=table");
        Assert.Equal("json", ps.Value("format"));
        Assert.Equal(["id", "-ef", "--format=table"], ps.Positionals);
    }

    [Fact]
    public void The_relays_line_is_flags_then_its_kind()
    {
        var line = Parse("--root", "/r", "--log-format", "json", "relay", "--id", "c1", "--exec-id", "e1", "--process", "/p.json", "exec");
        Assert.IsType<RelayCommand>(line.Command);
        Assert.Equal("c1", line.Arguments!.Value("id"));
        Assert.Equal(["exec"], line.Arguments.Positionals);
        Assert.Equal("/r", line.Global.Root);
    }

    [Fact]
    public void The_global_options_come_back_as_arguments_that_read_the_same()
    {
        var line = Parse("--root", "/r", "--log", "/l.json", "--log-format", "json", "--debug", "--config", "/c.json", "--config-option", "k=v", "state", "x");
        var again = Parse([.. line.Global.ToArguments(), "state", "x"]);
        Assert.Equal(line.Global with { ConfigOverrides = again.Global.ConfigOverrides }, again.Global);
        Assert.Equal("v", again.Global.ConfigOverrides["k"]);
    }

    [Fact]
    public void Preserve_fds_must_be_a_number()
    {
        Assert.Equal("invalid value \"x\" for flag -preserve-fds: not a number",
                     Assert.Throws<UsageException>(() => Verb("create", "--preserve-fds", "x", "id").Int("preserve-fds")).Message);
        Assert.Equal(0, Verb("create", "--preserve-fds=0", "id").Int("preserve-fds"));
    }

    [Fact]
    public void Help_lists_the_verbs_and_their_flags_but_not_the_relay()
    {
        var root = new StringWriter();
        CliParser.WriteHelp(root);
        foreach (var command in CommandTable.All)
            Assert.Contains(command.Name, root.ToString());
        Assert.DoesNotContain("  relay ", root.ToString());
        Assert.Contains("  exec ", root.ToString());
        Assert.Contains("--log-format", root.ToString());
        var exec = new StringWriter();
        CliParser.WriteHelp(exec, "exec");
        Assert.Contains("--console-socket", exec.ToString());
        Assert.Contains("-t, --tty", exec.ToString());
        Assert.Contains("CONTAINER-ID [--] COMMAND [ARG...]", exec.ToString());
    }

    [Fact]
    public void Completions_come_from_the_same_model()
    {
        List<string> Complete(params string[] args) =>
            CliParser.Command.Parse(args, CliParser.Configuration).GetCompletions().Select(c => c.Label).ToList();
        Assert.Contains("exec", Complete("ex"));
        Assert.Contains("delete", Complete("--root", "/x", "de"));
        Assert.Contains("--console-socket", Complete("exec", "--"));
        Assert.DoesNotContain("relay", Complete(""));
    }

    [Theory]
    [InlineData("sandboxrt exec --env A=1 --c", "--cap")]
    [InlineData("sandboxrt exec -e A=1 --cap X --c", "--console-socket")]
    [InlineData("sandboxrt exec --env=A=1 --cwd /srv --c", "--cap")]
    [InlineData("sandboxrt --config-option a=b exe", "exec")]
    [InlineData("sandboxrt exec --env A=1 -", "--tty")]
    public void Completion_goes_on_after_a_repeatable_flag(string line, string offered)
    {
        var output = new StringWriter();
        CliParser.Complete([$"[suggest:{line.Length}]", line], output);
        Assert.Contains(offered, output.ToString().Split('\n', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void The_completion_line_loses_only_the_repeatable_flags_before_the_cursor()
    {
        const string line = "sandboxrt exec --env A --cwd -x -e B ID s";
        Assert.Equal(["[suggest:28]", "sandboxrt exec --cwd -x ID s"], CliParser.CompletionArguments([$"[suggest:{line.Length}]", line]));
        // the cursor inside the line: what follows it stays, and a trailing space still starts a new word
        Assert.Equal(["[suggest:15]", "sandboxrt exec  --tty"], CliParser.CompletionArguments(["[suggest:23]", "sandboxrt exec --cap X  --tty"]));
        Assert.Equal(["exec", "--"], CliParser.CompletionArguments(["exec", "--"])); // not the directive: as given
    }
}
