namespace SandboxRt.IntegrationTests.Support;

/// <summary>After a CLI run: nothing of the container left (see <see cref="LeakChecker"/>, which this asks with no snapshot taken before).</summary>
internal static class LeakCheck
{
    public static void AssertNothingLeft(string stateRoot, string id) =>
        LeakChecker.ForCli(stateRoot, id, HostSnapshot.Empty).AssertCleanAsync().GetAwaiter().GetResult();
}
