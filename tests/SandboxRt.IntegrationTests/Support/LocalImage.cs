namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// The test image, built locally (no registry is reachable): the busybox-static test rootfs (with the
/// validator) → umoci (an OCI layout) → skopeo (a docker-archive that Docker, containerd and podman
/// all load). Built once per test run.
/// </summary>
internal static class LocalImage
{
    public const string Reference = "localhost/sandboxrt-test:latest";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? s_archive;

    public static async Task<string> ArchiveAsync()
    {
        TestEnvironment.RequireCommand("umoci", "umoci");
        TestEnvironment.RequireCommand("skopeo", "skopeo");
        await Gate.WaitAsync();
        try
        {
            if (s_archive is not null)
                return s_archive;
            var dir = RunScratch.Create("sandboxrt-test-image");
            using var bundle = new TestBundle();
            var layout = Path.Combine(dir, "oci");
            await Command.RunAsync("umoci", ["init", "--layout", layout]);
            (await Command.RunAsync("umoci", ["new", "--image", layout + ":img"])).Ok();
            var unpacked = Path.Combine(dir, "unpacked");
            (await Command.RunAsync("umoci", ["unpack", "--image", layout + ":img", unpacked])).Ok();
            (await Command.RunAsync("cp", ["-a", bundle.Rootfs + "/.", Path.Combine(unpacked, "rootfs")])).Ok();
            (await Command.RunAsync("umoci", ["repack", "--image", layout + ":img", unpacked])).Ok();
            (await Command.RunAsync("umoci", ["config", "--image", layout + ":img", "--config.cmd", "sh"])).Ok();
            var archive = Path.Combine(dir, "image.tar");
            (await Command.RunAsync("skopeo", ["copy", "-q", $"oci:{layout}:img", $"docker-archive:{archive}:{Reference}"])).Ok();
            return s_archive = archive;
        }
        finally
        {
            Gate.Release();
        }
    }
}
