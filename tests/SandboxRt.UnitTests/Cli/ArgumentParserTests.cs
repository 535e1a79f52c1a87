using SandboxRt.Cli.Cli;

namespace SandboxRt.UnitTests.Cli;

[Trait("Tier", "unit")]
public sealed class ArgumentParserTests
{
    private static readonly FlagSpec[] Flags = [new("bundle", true, "", "b"), new("detach", false, "", "d"), new("pid-file", true, "")];

    [Fact]
    public void Global_flags_stop_at_the_verb_and_accept_runc_forms()
    {
        string[] args = ["--root", "/run/x", "-log=/tmp/l.json", "--log-format", "json", "create", "--bundle", "/b", "id"];
        var parsed = ArgumentParser.Parse(args, GlobalOptions.Flags, 0, stopAtPositional: true, out int verb);
        Assert.Equal(5, verb);
        var global = GlobalOptions.From(parsed);
        Assert.Equal("/run/x", global.Root);
        Assert.Equal("/tmp/l.json", global.LogPath);
        Assert.Equal("json", global.LogFormat);
    }

    [Fact]
    public void Verb_flags_come_first_and_short_aliases_work()
    {
        var parsed = ArgumentParser.Parse(["-b", "/bundle", "--detach", "--pid-file=/p", "id1"], Flags, 0, false, out _);
        Assert.Equal(["id1"], parsed.Positionals);
        Assert.Equal("/bundle", parsed.Value("bundle"));
        Assert.True(parsed.Bool("detach"));
        Assert.Equal("/p", parsed.Value("pid-file"));
    }

    [Fact]
    public void Flags_end_at_the_first_positional_as_in_go()
    {
        // runc exec ID sh -c 'x': the -c is the command's, not a flag of exec.
        var parsed = ArgumentParser.Parse(["--detach", "id1", "sh", "-b", "x"], Flags, 0, false, out _);
        Assert.Equal(["id1", "sh", "-b", "x"], parsed.Positionals);
        Assert.Null(parsed.Value("bundle"));
    }

    [Fact]
    public void Double_dash_ends_flags() =>
        Assert.Equal(["id", "-d"], ArgumentParser.Parse(["--", "id", "-d"], Flags, 0, false, out _).Positionals);

    [Fact]
    public void Unknown_flags_and_missing_values_are_usage_errors()
    {
        Assert.Contains("-nope", Assert.Throws<UsageException>(() => ArgumentParser.Parse(["--nope"], Flags, 0, false, out _)).Message);
        Assert.Contains("needs an argument", Assert.Throws<UsageException>(() => ArgumentParser.Parse(["--bundle"], Flags, 0, false, out _)).Message);
    }

    [Fact]
    public void Config_options_are_key_value_pairs()
    {
        var parsed = ArgumentParser.Parse(["--config-option", "default_vcpus=2", "--config-option", "debug=true", "check"], GlobalOptions.Flags, 0, true, out _);
        var global = GlobalOptions.From(parsed);
        Assert.Equal("2", global.ConfigOverrides["default_vcpus"]);
        Assert.Throws<UsageException>(() => GlobalOptions.From(ArgumentParser.Parse(["--config-option", "oops"], GlobalOptions.Flags, 0, true, out _)));
    }
}
