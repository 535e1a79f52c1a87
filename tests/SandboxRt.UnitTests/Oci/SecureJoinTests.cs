using SandboxRt.Oci.Validation;

namespace SandboxRt.UnitTests.Oci;

[Trait("Tier", "unit")]
public sealed class SecureJoinTests
{
    [Fact]
    public void Plain_and_missing_paths_stay_under_the_root()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "etc"));
        Assert.Equal(Path.Combine(root.Path, "etc/hosts"), SecureJoin.Resolve(root.Path, "/etc/hosts"));
        Assert.Equal(Path.Combine(root.Path, "new/dir"), SecureJoin.Resolve(root.Path, "/new/./dir/"));
        Assert.Equal(root.Path, SecureJoin.Resolve(root.Path, "/"));
    }

    [Fact]
    public void Absolute_links_restart_at_the_root_instead_of_the_host_root()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "run/systemd"));
        Directory.CreateDirectory(Path.Combine(root.Path, "etc"));
        File.CreateSymbolicLink(Path.Combine(root.Path, "etc/resolv.conf"), "/run/systemd/resolv.conf");
        Assert.Equal(Path.Combine(root.Path, "run/systemd/resolv.conf"), SecureJoin.Resolve(root.Path, "/etc/resolv.conf"));
    }

    [Fact]
    public void Relative_links_inside_the_root_are_followed()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "usr/lib"));
        File.CreateSymbolicLink(Path.Combine(root.Path, "lib"), "usr/lib");
        Assert.Equal(Path.Combine(root.Path, "usr/lib/x"), SecureJoin.Resolve(root.Path, "/lib/x"));
    }

    [Fact]
    public void A_relative_link_climbing_out_is_refused_and_named()
    {
        using var root = new TempDirectory();
        File.CreateSymbolicLink(Path.Combine(root.Path, "escape"), "../../../../tmp");
        var e = Assert.Throws<PathEscapeException>(() => SecureJoin.Resolve(root.Path, "/escape/inner"));
        Assert.Contains("/escape -> ../../../../tmp points outside the root file system", e.Message);
    }

    [Fact]
    public void Dotdot_above_the_root_is_refused() =>
        Assert.Throws<PathEscapeException>(() => SecureJoin.Resolve("/tmp", "/../etc"));

    [Fact]
    public void Link_loops_end_with_an_error()
    {
        using var root = new TempDirectory();
        File.CreateSymbolicLink(Path.Combine(root.Path, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(root.Path, "b"), "a");
        Assert.Contains("too many levels", Assert.Throws<PathEscapeException>(() => SecureJoin.Resolve(root.Path, "/a/x")).Message);
    }
}
