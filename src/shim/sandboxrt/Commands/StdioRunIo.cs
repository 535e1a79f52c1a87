using Microsoft.Win32.SafeHandles;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Cli.Commands;

/// <summary>This process's own standard streams, for verbs that stay attached (run, exec).</summary>
internal static class StdioRunIo
{
    public static RunIo Create(TextWriter diagnostics) => new(
        Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.OpenStandardError(),
        new SafeFileHandle(0, ownsHandle: false), new SafeFileHandle(1, ownsHandle: false), diagnostics);
}
