using SandboxRt.Runtime.Storage;

namespace SandboxRt.UnitTests.Storage;

[Trait("Tier", "unit")]
public sealed class SocketDirectoryTests
{
    [Fact]
    public void A_socket_directory_whose_state_directory_is_gone_is_removed_by_the_next_create_and_live_ones_are_kept()
    {
        using var dir = new TempDirectory();
        var sockets = Path.Combine(dir.Path, "sock");
        var live = Directory.CreateDirectory(Path.Combine(dir.Path, "state", "live")).FullName;
        var dead = Directory.CreateDirectory(Path.Combine(dir.Path, "state", "dead")).FullName;
        var liveSockets = SocketDirectory.Create(sockets, live);
        var deadSockets = SocketDirectory.Create(sockets, dead);
        File.WriteAllText(Path.Combine(deadSockets, "qmp.sock"), ""); // what QEMU left
        var unowned = Directory.CreateDirectory(Path.Combine(sockets, "0123456789abcdef0123")).FullName; // made before owners were recorded
        var forged = Directory.CreateDirectory(Path.Combine(sockets, "fedcba9876543210fedc")).FullName;
        File.WriteAllText(Path.Combine(forged, "owner"), Path.Combine(dir.Path, "nowhere") + "\n"); // names an owner whose directory this is not
        Directory.Delete(dead); // the sandbox died without delete and its root went

        var nextState = Directory.CreateDirectory(live + "-next").FullName;
        var next = SocketDirectory.Create(sockets, nextState);

        Assert.False(Directory.Exists(deadSockets));
        Assert.True(Directory.Exists(liveSockets));
        Assert.True(Directory.Exists(unowned));
        Assert.True(Directory.Exists(forged));
        Assert.Equal(live + "\n", File.ReadAllText(Path.Combine(liveSockets, "owner")));
        Assert.Equal(SocketDirectory.For(sockets, nextState), next);
        Assert.Equal(0, SocketDirectory.RemoveStale(sockets));
    }
}
