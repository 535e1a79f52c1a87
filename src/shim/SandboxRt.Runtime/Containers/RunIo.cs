using System.Runtime.InteropServices;

namespace SandboxRt.Runtime.Containers;

/// <summary>The standard streams a foreground container is attached to.</summary>
public sealed record RunIo(Stream Stdin, Stream Stdout, Stream Stderr, SafeHandle StdinHandle, SafeHandle StdoutHandle, TextWriter Diagnostics);
