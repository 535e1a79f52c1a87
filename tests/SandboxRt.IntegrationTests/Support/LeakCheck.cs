namespace SandboxRt.IntegrationTests.Support;

/// <summary>After a run: no hypervisor or virtiofsd left for the id, no mounts under the state root, no state directory.</summary>
internal static class LeakCheck
{
    public static void AssertNothingLeft(string stateRoot, string id)
    {
        // processes that are on their way out (a VM after QMP quit) get a moment
        for (int i = 0; i < 50 && ProcessTable.Find($"sandboxrt-{id},").Count > 0; i++)
            Thread.Sleep(100);
        Assert.Empty(ProcessTable.Find($"sandboxrt-{id},"));
        Assert.Empty(ProcessTable.Find(Path.Combine(stateRoot, id)));
        var mounts = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(stateRoot, StringComparison.Ordinal)).ToList();
        Assert.True(mounts.Count == 0, "mounts left behind:\n" + string.Join('\n', mounts));
        Assert.False(Directory.Exists(Path.Combine(stateRoot, id)), $"state directory {Path.Combine(stateRoot, id)} was left behind");
        var sockets = SandboxRt.Runtime.Storage.SocketDirectory.For(Path.Combine(stateRoot, id));
        Assert.False(Directory.Exists(sockets), $"socket directory {sockets} was left behind");
    }
}
