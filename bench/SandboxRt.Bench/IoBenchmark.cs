using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Bench;

/// <summary>
/// Output throughput from the guest to the host, in one sandbox: a container writing N MiB of zeros to
/// stdout in 64 KiB writes (`dd if=/dev/zero bs=64k`: pipe → agent → gRPC stream; a cheap producer, so
/// that TCG's cost of emulating it stays small), against the same bytes made by the agent itself
/// (StreamTestData: no container, no pipe: the guest channel and gRPC alone). Every
/// run's bytes are hashed as they arrive and compared with the expected SHA-256; a run whose count or
/// hash differs, or whose container does not exit 0, is a failure, not a speed.
/// </summary>
internal sealed class IoBenchmark(HypervisorConfig config, string stateRoot, string bundle, int mebibytes)
{
    private static readonly byte[] PatternLine = [0];
    private static readonly TimeSpan TransferLimit = TimeSpan.FromSeconds(120);
    private long Bytes => (long)mebibytes * 1024 * 1024;

    public Sample Container { get; } = new($"container stdout to the host ({mebibytes} MiB, SHA-256 checked)");
    public Sample Raw { get; } = new($"agent-generated stream to the host, no container ({mebibytes} MiB, SHA-256 checked)");

    public async Task RunAsync(int runs)
    {
        var expected = ExpectedHash();
        var spec = SpecLoader.LoadBundle(bundle);
        spec.Process!.Args = ["dd", "if=/dev/zero", "bs=65536", $"count={mebibytes * 16}"];
        await using var sandbox = await Sandbox.StartAsync(new SandboxStartOptions($"bench-io-{Environment.ProcessId}", stateRoot, config) { WithSharedDirectory = true },
            NullLogger.Instance);
        for (int i = 0; i < runs; i++)
        {
            Func<Task>[] steps = [() => TimeAsync(Container, () => ContainerOutput(sandbox, spec, $"io-{i}"), expected), () => TimeAsync(Raw, () => ((AgentClient)sandbox.Agent).StreamTestDataAsync((ulong)Bytes, PatternLine), expected)];
            for (int k = 0; k < steps.Length; k++)
                await steps[(i + k) % steps.Length]();
            Console.Error.WriteLine($"  run {i + 1}/{runs}: container {Container.LastText} MiB/s, agent-generated {Raw.LastText} MiB/s");
        }
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> ContainerOutput(Sandbox sandbox, Oci.Spec.Spec spec, string id)
    {
        var agent = sandbox.Agent;
        await agent.CreateContainerAsync(id, BundleSpecRewriter.ForGuest(spec, bundle, id, sandbox.Shared!), stdin: false);
        try
        {
            var output = agent.ReadOutputAsync(id, "", stderr: false).GetAsyncEnumerator();
            await agent.StartContainerAsync(id);
            while (await output.MoveNextAsync())
                yield return output.Current;
            var exit = await agent.WaitAsync(id, "");
            if (exit.Status != 0)
                throw new InvalidOperationException($"the writer container exited {exit.Status}");
        }
        finally
        {
            await agent.RemoveContainerAsync(id, force: true);
            sandbox.Shared!.RemoveContainer(id);
        }
    }

    private async Task TimeAsync(Sample sample, Func<IAsyncEnumerable<ReadOnlyMemory<byte>>> source, byte[] expected)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        var watch = Stopwatch.StartNew();
        try
        {
            // a stalled stream is a failure, not a very slow speed (a stalled enumerator is abandoned:
            // disposing it mid-MoveNext would throw; the sandbox goes at the end anyway)
            var chunks = source().GetAsyncEnumerator();
            while (await chunks.MoveNextAsync().AsTask().WaitAsync(TransferLimit - watch.Elapsed))
            {
                hash.AppendData(chunks.Current.Span);
                count += chunks.Current.Length;
            }
            await chunks.DisposeAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or AgentException or IOException or TimeoutException or ArgumentOutOfRangeException)
        {
            sample.Fail();
            Console.Error.WriteLine($"  {sample.Name}: failed after {count} bytes: {(e is TimeoutException or ArgumentOutOfRangeException ? $"not done within {TransferLimit.TotalSeconds:F0} s" : e.Message)}");
            return;
        }
        double seconds = watch.Elapsed.TotalSeconds;
        if (count != Bytes || !hash.GetHashAndReset().AsSpan().SequenceEqual(expected))
        {
            sample.Fail();
            Console.Error.WriteLine($"  {sample.Name}: got {count} bytes of {Bytes}, or a different SHA-256: failed");
            return;
        }
        sample.Add(Bytes / 1024.0 / 1024.0 / seconds);
    }

    private byte[] ExpectedHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = new byte[PatternLine.Length * 4096];
        for (int i = 0; i < block.Length; i++)
            block[i] = PatternLine[i % PatternLine.Length];
        for (long left = Bytes; left > 0; left -= block.Length)
            hash.AppendData(block, 0, (int)Math.Min(block.Length, left));
        return hash.GetHashAndReset();
    }
}
