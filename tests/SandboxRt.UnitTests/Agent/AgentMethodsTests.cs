using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;

namespace SandboxRt.UnitTests.Agent;

[Trait("Tier", "unit")]
public sealed class AgentMethodsTests
{
    /// <summary>The hand-written descriptors must list exactly the RPCs of agent.proto, with the same shapes and types.</summary>
    [Fact]
    public void Method_descriptors_match_the_proto_services()
    {
        var declared = typeof(AgentMethods).GetFields()
            .Where(f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(Method<,>))
            .Select(f => f.GetValue(null)!)
            .ToDictionary(m => (string)m.GetType().GetProperty("FullName")!.GetValue(m)!);

        var fromProto = AgentReflection.Descriptor.Services.SelectMany(s => s.Methods).ToList();
        Assert.Equal(fromProto.Count, declared.Count);
        foreach (var method in fromProto)
        {
            var path = $"/{method.Service.FullName}/{method.Name}";
            Assert.True(declared.TryGetValue(path, out var descriptor), $"{path} has no descriptor in AgentMethods");
            var type = descriptor.GetType();
            Assert.Equal(method.InputType.ClrType, type.GetGenericArguments()[0]);
            Assert.Equal(method.OutputType.ClrType, type.GetGenericArguments()[1]);
            var shape = (MethodType)type.GetProperty("Type")!.GetValue(descriptor)!;
            var expected = (method.IsClientStreaming, method.IsServerStreaming) switch
            {
                (true, true) => MethodType.DuplexStreaming,
                (true, false) => MethodType.ClientStreaming,
                (false, true) => MethodType.ServerStreaming,
                _ => MethodType.Unary,
            };
            Assert.True(expected == shape, $"{path}: {shape} in AgentMethods, {expected} in agent.proto");
        }
    }
}
