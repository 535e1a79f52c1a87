// Compiled into the shim too (its csproj links this file), in the shim's namespace: the test assembly
// sees both assemblies' internals, and one type name in both would be ambiguous there.
#if SANDBOXRT_SHIM
namespace SandboxRt.Shim.Cli;
#else
namespace SandboxRt.Cli.Cli;
#endif

/// <summary>A command line that cannot be understood: printed with the command's usage, exit status 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
