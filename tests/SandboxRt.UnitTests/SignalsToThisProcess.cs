namespace SandboxRt.UnitTests;

/// <summary>
/// Tests that send signals to the test process itself (to check what SignalForwarder forwards): one at a
/// time, so that no other forwarder is registered to take a signal meant for another test's fake agent.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SignalsToThisProcess
{
    public const string Name = "signals to the test process";
}
