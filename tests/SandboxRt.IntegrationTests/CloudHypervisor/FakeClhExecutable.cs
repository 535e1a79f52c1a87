namespace SandboxRt.IntegrationTests.CloudHypervisor;

/// <summary>
/// A stand-in for the cloud-hypervisor binary, so that the driver's launch path runs: a Python script
/// that binds the --api-socket path it is given and relays each connection to the fake API server (the
/// test's own process), noting how many descriptors arrived with a request (<see cref="DescriptorLog"/>:
/// the relay cannot pass them on). It exits once it has relayed the answer to vmm.shutdown, as the real VMM does.
/// Also a stand-in virtiofsd that only waits to be stopped.
/// </summary>
internal static class FakeClhExecutable
{
    /// <summary>The file the fake appends to, one line per request that carried descriptors: how many.</summary>
    public static string DescriptorLog(string directory) => Path.Combine(directory, "received-descriptors");

    public static string Write(string directory, string upstreamSocket)
    {
        var path = Path.Combine(directory, "cloud-hypervisor");
        File.WriteAllText(path, $$"""
            #!/usr/bin/python3
            import socket, sys, threading, os
            args = sys.argv[1:]
            api = args[args.index("--api-socket") + 1]
            api = api.split("=", 1)[1] if api.startswith("path=") else api
            server = socket.socket(socket.AF_UNIX)
            server.bind(api)
            server.listen(8)
            def relay(source, target, watch):
                try:
                    while True:
                        data, ancillary, _, _ = source.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
                        received = [n for level, kind, raw in ancillary if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
                                    for n in memoryview(raw).cast("i")]
                        if received:
                            with open("{{DescriptorLog(directory)}}", "a") as log:
                                log.write(f"{len(received)}\n")
                            for n in received:
                                os.close(n)
                        if not data:
                            break
                        target.sendall(data)
                        if watch and b"X-Fake-Vmm-Exit: 1" in data:
                            os._exit(0)
                except OSError:
                    pass
                finally:
                    try:
                        target.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
            while True:
                client, _ = server.accept()
                upstream = socket.socket(socket.AF_UNIX)
                upstream.connect("{{upstreamSocket}}")
                threading.Thread(target=relay, args=(client, upstream, False), daemon=True).start()
                threading.Thread(target=relay, args=(upstream, client, True), daemon=True).start()
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public static string WriteVirtiofsd(string directory)
    {
        var path = Path.Combine(directory, "virtiofsd");
        File.WriteAllText(path, "#!/bin/sh\nexec sleep 3600\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
