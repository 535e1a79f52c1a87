using SandboxRt.Agent.Protocol;
using SandboxRt.Agent.Transport;
using SandboxRt.Grpc.Server;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Services;

/// <summary>
/// ReseedGuest: what a VM restored from a template must not keep from it. Every clone resumes with the
/// template's memory: the same agent token, the same random pool and a clock stopped when the template
/// was saved. The host's first call replaces the token (only connections made after it need the new
/// one), mixes host entropy into the pool (the vmgenid device has already made the kernel reseed its
/// generator; this adds bytes no other clone has) and sets the wall clock.
/// </summary>
internal sealed class ReseedService(AgentSecret secret)
{
    public const int MaxEntropy = 4096;

    public void Register(GrpcServiceTable table) => table.AddUnary(AgentMethods.ReseedGuest, ReseedAsync);

    private Task<Empty> ReseedAsync(ReseedGuestRequest request, ServerCallContext context)
    {
        if (request.Entropy.Length > MaxEntropy)
            throw new ArgumentException($"entropy: {request.Entropy.Length} bytes (at most {MaxEntropy})");
        if (request.RealtimeNs <= 0)
            throw new ArgumentException($"realtime_ns: {request.RealtimeNs} is not a time after 1970");
        var token = request.AgentToken.ToByteArray();
        secret.Replace(token); // validates the length first: nothing changes for a bad request
        if (request.Entropy.Length > 0)
        {
            using var random = new FileStream("/dev/urandom", FileMode.Open, FileAccess.Write);
            random.Write(request.Entropy.Span);
        }
        var before = DateTimeOffset.UtcNow;
        WallClock.Set(request.RealtimeNs);
        AgentLog.Info($"reseeded after restore: new agent token, {request.Entropy.Length} bytes of host entropy, clock moved by {(DateTimeOffset.UtcNow - before).TotalSeconds:F1} s");
        return Task.FromResult(new Empty());
    }
}
