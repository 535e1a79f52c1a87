using SandboxRt.Runtime.CommandLine;
using System.CommandLine;
using SandboxRt.Cli.Cli;

namespace SandboxRt.UnitTests.Cli;

/// <summary>
/// Go's flag rules over System.CommandLine options (<see cref="GoFlagRules"/>), shared by the runc CLI
/// and the shim, read the way <see cref="CliParser"/> reads a verb. The CLI's old parser and the shim's
/// differed; each test named "Was_..." pins how one difference was resolved.
/// </summary>
[Trait("Tier", "unit")]
public sealed class GoFlagRulesTests
{
    private static readonly Argument<string[]> Rest = new("arguments") { Arity = ArgumentArity.ZeroOrMore };

    private static readonly Command Verb = new("verb")
    {
        CliOptions.Value("bundle", "", "b"),
        CliOptions.Switch("detach", "", "d"),
        CliOptions.Repeated("env", "", "e"),
        CliOptions.Value("preserve-fds", ""),
        Rest,
    };

    private static CommandArgs Read(GoFlagRules.Mode mode, params string[] args)
    {
        var read = GoFlagRules.Read(args, 0, Verb.Options, mode);
        var result = Verb.Parse([.. read.Flags, "--", .. read.Positionals], CliParser.Configuration);
        Assert.Empty(result.Errors);
        Assert.Equal(read.Positionals, result.GetValue(Rest) ?? []);
        return new CommandArgs(result, Verb, read.Positionals);
    }

    private static CommandArgs Parse(params string[] args) => Read(GoFlagRules.Mode.StopAtFirstPositional, args);

    private static string Error(params string[] args) =>
        Assert.Throws<UsageException>(() => GoFlagRules.Read(args, 0, Verb.Options, GoFlagRules.Mode.StopAtFirstPositional)).Message;

    [Theory]
    [InlineData("1", true)]
    [InlineData("t", true)]
    [InlineData("T", true)]
    [InlineData("TRUE", true)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("0", false)]
    [InlineData("f", false)]
    [InlineData("F", false)]
    [InlineData("FALSE", false)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    public void Boolean_values_are_strconv_ParseBool_spellings(string value, bool expected)
    {
        Assert.Equal(expected, Parse($"-detach={value}").Bool("detach"));
        Assert.Equal(expected, Parse($"--d={value}").Bool("detach"));
        Assert.Empty(Parse($"-d={value}").Positionals);
    }

    [Fact]
    public void Was_cli_accepting_any_boolean_value_as_true()
    {
        // The CLI read --detach=maybe (and --detach=False, --detach=f) as true; the shim rejected them.
        foreach (var value in new[] { "maybe", "yes", "on", "", "tRuE" })
            Assert.Equal($"invalid boolean value \"{value}\" for -detach: parse error", Error($"--detach={value}"));
    }

    [Fact]
    public void A_boolean_flag_never_takes_the_next_argument()
    {
        var parsed = Parse("-d", "false", "id");
        Assert.True(parsed.Bool("detach"));
        Assert.Equal(["false", "id"], parsed.Positionals);
    }

    [Fact]
    public void An_absent_boolean_is_false_and_the_last_one_wins()
    {
        Assert.False(Parse("id").Bool("detach"));
        Assert.False(Parse("-d", "-d=false").Bool("detach"));
        Assert.True(Parse("-d=0", "--detach").Bool("detach"));
    }

    [Fact]
    public void One_and_two_dashes_are_the_same_and_values_come_inline_or_next()
    {
        foreach (var args in new[] { new[] { "-bundle", "/b" }, ["--bundle", "/b"], ["-bundle=/b"], ["--b=/b"], ["-b", "/b"] })
            Assert.Equal("/b", Parse(args).Value("bundle"));
        Assert.Equal("", Parse("--bundle=").Value("bundle"));
        Assert.Equal("-d", Parse("--bundle", "-d").Value("bundle"));
        Assert.Equal("--", Parse("--bundle", "--").Value("bundle"));
        Assert.Equal("a=b", Parse("--bundle=a=b").Value("bundle"));
        Assert.Equal("@file", Parse("--bundle", "@file").Value("bundle"));
    }

    [Fact]
    public void Repeated_string_flags_keep_every_value()
    {
        var parsed = Parse("-e", "A=1", "--env=B=2");
        Assert.Equal(["A=1", "B=2"], parsed.Values("env"));
        Assert.Equal("B=2", parsed.Value("env"));
        Assert.Equal("/2", Parse("-b", "/1", "-b", "/2").Value("bundle"));
        Assert.Equal(["/2"], Parse("-b", "/1", "--bundle=/2").Values("bundle"));
        Assert.Equal(["--bundle=/2"], GoFlagRules.Read(["-b", "/1", "--bundle=/2"], 0, Verb.Options, GoFlagRules.Mode.StopAtFirstPositional).Flags);
    }

    [Theory]
    [InlineData("---detach")]
    [InlineData("-=x")]
    [InlineData("--=x")]
    public void Was_cli_accepting_bad_flag_syntax(string arg) =>
        // The CLI trimmed any number of dashes; Go (and the shim) reject three dashes and an empty name.
        Assert.Equal($"bad flag syntax: {arg}", Error(arg));

    [Fact]
    public void Unknown_flags_and_missing_values_are_errors_naming_the_flag()
    {
        Assert.Equal("flag provided but not defined: -nope", Error("--nope=1"));
        Assert.Equal("flag needs an argument: -bundle", Error("--bundle"));
        Assert.Equal("invalid value \"x\" for flag -preserve-fds: not a number",
                     Assert.Throws<UsageException>(() => Parse("--preserve-fds", "x").Int("preserve-fds")).Message);
    }

    [Fact]
    public void Double_dash_ends_flags_and_a_single_dash_is_an_argument()
    {
        Assert.Equal(["id", "-d"], Parse("--", "id", "-d").Positionals);
        Assert.Equal(["-", "-d"], Parse("-", "-d").Positionals);
    }

    [Fact]
    public void Flags_end_at_the_first_argument_as_in_go()
    {
        var parsed = Parse("-d", "id", "sh", "-b", "x", "--env=A", "--");
        Assert.Equal(["id", "sh", "-b", "x", "--env=A", "--"], parsed.Positionals);
        Assert.Null(parsed.Value("bundle"));
        Assert.Empty(parsed.Values("env"));
    }

    [Fact]
    public void Was_cli_treating_flags_after_the_id_as_arguments()
    {
        // urfave/cli v1 reorders a runc verb's known flags before its arguments: `runc delete ID --force`.
        var parsed = Read(GoFlagRules.Mode.Interspersed, "id", "--bundle", "/b", "-d", "-x", "--", "--detach");
        Assert.Equal("/b", parsed.Value("bundle"));
        Assert.True(parsed.Bool("detach"));
        Assert.Equal(["id", "-x", "--detach"], parsed.Positionals);
        Assert.Throws<UsageException>(() => GoFlagRules.Read(["-x", "id"], 0, Verb.Options, GoFlagRules.Mode.Interspersed));
        Assert.Throws<UsageException>(() => GoFlagRules.Read(["id", "--detach=maybe"], 0, Verb.Options, GoFlagRules.Mode.Interspersed));
    }
}
