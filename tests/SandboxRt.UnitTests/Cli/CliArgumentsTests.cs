using SandboxRt.Cli.Cli;
using SandboxRt.Cli.Commands;
using SandboxRt.Runtime.CommandLine;

namespace SandboxRt.UnitTests.Cli;

/// <summary>The runc CLI's use of <see cref="GoFlagParser"/>: global flags before the verb, then the verb's.</summary>
[Trait("Tier", "unit")]
public sealed class CliArgumentsTests
{
    [Fact]
    public void Global_flags_stop_at_the_verb_and_accept_runc_forms()
    {
        string[] args = ["--root", "/run/x", "-log=/tmp/l.json", "--log-format", "json", "--systemd-cgroup", "create", "--bundle", "/b", "id"];
        var parsed = GoFlagParser.Parse(args, GlobalOptions.Flags);
        Assert.Equal(["create", "--bundle", "/b", "id"], parsed.Positionals);
        var global = GlobalOptions.From(parsed);
        Assert.Equal("/run/x", global.Root);
        Assert.Equal("/tmp/l.json", global.LogPath);
        Assert.Equal("json", global.LogFormat);
        Assert.True(global.SystemdCgroup);
    }

    [Fact]
    public void Was_an_unknown_global_flag_read_as_the_verb()
    {
        // Before: `sandboxrt --bogus create` said "unknown command '--bogus'"; Go names the flag.
        Assert.Equal("flag provided but not defined: -bogus",
                     Assert.Throws<FlagException>(() => GoFlagParser.Parse(["--bogus", "create"], GlobalOptions.Flags)).Message);
    }

    [Fact]
    public void Runc_verbs_take_flags_after_the_id()
    {
        var delete = new DeleteCommand();
        var parsed = GoFlagParser.Parse(["delete", "id", "--force"], delete.Flags, 1, ((ICommand)delete).FlagsAfterArguments);
        Assert.Equal(["id"], parsed.Positionals);
        Assert.True(parsed.Bool("force"));
    }

    [Fact]
    public void Exec_and_ps_leave_everything_after_the_id_to_the_process()
    {
        ICommand exec = new ExecCommand(), ps = new PsCommand();
        Assert.False(exec.FlagsAfterArguments);
        Assert.False(ps.FlagsAfterArguments);
        var parsed = GoFlagParser.Parse(["-t", "id", "sh", "-c", "--tty"], exec.Flags, 0, exec.FlagsAfterArguments);
        Assert.Equal(["id", "sh", "-c", "--tty"], parsed.Positionals);
        Assert.True(parsed.Bool("tty"));
    }

    [Fact]
    public void Config_options_are_key_value_pairs()
    {
        var parsed = GoFlagParser.Parse(["--config-option", "default_vcpus=2", "--config-option", "debug=true", "check"], GlobalOptions.Flags);
        var global = GlobalOptions.From(parsed);
        Assert.Equal("2", global.ConfigOverrides["default_vcpus"]);
        Assert.Throws<UsageException>(() => GlobalOptions.From(GoFlagParser.Parse(["--config-option", "oops"], GlobalOptions.Flags)));
    }
}
