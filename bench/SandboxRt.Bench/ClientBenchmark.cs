namespace SandboxRt.Bench;

/// <summary>
/// `docker run --rm ... /bin/true` and `ctr run --rm ... /bin/true`, each with runc and with SandboxRt,
/// interleaved run by run.
/// </summary>
internal sealed class ClientBenchmark(ClientDaemons daemons, string sandboxrt)
{
    public Sample DockerSandboxrt { get; } = new("docker run --rm /bin/true, sandboxrt");
    public Sample DockerRunc { get; } = new("docker run --rm /bin/true, runc");
    public Sample CtrSandboxrt { get; } = new("ctr run --rm /bin/true, sandboxrt");
    public Sample CtrRunc { get; } = new("ctr run --rm /bin/true, runc");

    public async Task RunAsync(int runs)
    {
        var docker = new[] { "-H", "unix://" + daemons.DockerSocket, "run", "--rm", "--network", "none" };
        for (int i = 0; i < runs; i++)
        {
            string id = $"b{Environment.ProcessId}-{i}";
            await Shell.TimeAsync(DockerRunc, "docker", [.. docker, ClientDaemons.Image, "/bin/true"]);
            await Shell.TimeAsync(DockerSandboxrt, "docker", [.. docker, "--runtime", "kata-runtime", ClientDaemons.Image, "/bin/true"]);
            await Shell.TimeAsync(CtrRunc, "ctr", "-a", daemons.ContainerdSocket, "run", "--rm", ClientDaemons.Image, id + "-r", "/bin/true");
            await Shell.TimeAsync(CtrSandboxrt, "ctr", "-a", daemons.ContainerdSocket, "run", "--rm", "--runc-binary", sandboxrt, ClientDaemons.Image, id + "-s", "/bin/true");
            Console.Error.WriteLine($"  run {i + 1}/{runs}: docker runc {Last(DockerRunc)}, sandboxrt {Last(DockerSandboxrt)}; ctr runc {Last(CtrRunc)}, sandboxrt {Last(CtrSandboxrt)} ms");
        }
    }

    private static string Last(Sample s) => s.Values.Count == 0 ? "failed" : s.Values[^1].ToString("F0");
}
