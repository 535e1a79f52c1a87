namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>End-to-end tests run one at a time: each drives daemons and several VMs on a 2-core machine.</summary>
[CollectionDefinition("e2e", DisableParallelization = true)]
public sealed class E2eCollection;
