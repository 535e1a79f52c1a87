namespace SandboxRt.IntegrationTests.Faults;

/// <summary>The fault matrix's cells run one at a time: each boots a VM and kills parts of it.</summary>
[CollectionDefinition("fault", DisableParallelization = true)]
public sealed class FaultCollection;
