using SandboxRt.Grpc;

namespace SandboxRt.Agent.Protocol;

/// <summary>
/// Every RPC of agent.proto as a method descriptor of our own gRPC server: its HTTP/2 path, shape and
/// message parsers, by which the agent routes. The host does not use these: it calls through the client
/// stubs Grpc.Tools generates (Grpc.Net.Client). The server stays ours (Grpc.AspNetCore costs seconds of
/// start-up under TCG: README, Dependencies), so the list is mirrored by hand; a unit test checks it
/// against the .proto's descriptors.
/// </summary>
public static class AgentMethods
{
    public const string HealthService = "sandboxrt.agent.v1.Health";
    public const string AgentService = "sandboxrt.agent.v1.AgentService";
    public const string ApiVersion = "sandboxrt.agent.v1";

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthCheck =
        new(MethodType.Unary, HealthService, "Check", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthWatch =
        new(MethodType.ServerStreaming, HealthService, "Watch", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<VersionRequest, VersionResponse> Version =
        new(MethodType.Unary, HealthService, "Version", VersionRequest.Parser, VersionResponse.Parser);

    public static readonly Method<GuestDetailsRequest, GuestDetailsResponse> GuestDetails =
        new(MethodType.Unary, AgentService, "GuestDetails", GuestDetailsRequest.Parser, GuestDetailsResponse.Parser);

    public static readonly Method<OnlineCpuMemRequest, OnlineCpuMemResponse> OnlineCpuMem =
        new(MethodType.Unary, AgentService, "OnlineCpuMem", OnlineCpuMemRequest.Parser, OnlineCpuMemResponse.Parser);

    public static readonly Method<TestDataChunk, SinkTestDataResponse> SinkTestData =
        new(MethodType.ClientStreaming, AgentService, "SinkTestData", TestDataChunk.Parser, SinkTestDataResponse.Parser);

    public static readonly Method<ReseedGuestRequest, Empty> ReseedGuest =
        new(MethodType.Unary, AgentService, "ReseedGuest", ReseedGuestRequest.Parser, Empty.Parser);

    public static readonly Method<StreamTestDataRequest, OutputChunk> StreamTestData =
        new(MethodType.ServerStreaming, AgentService, "StreamTestData", StreamTestDataRequest.Parser, OutputChunk.Parser);

    public static readonly Method<CreateSandboxRequest, Empty> CreateSandbox =
        new(MethodType.Unary, AgentService, "CreateSandbox", CreateSandboxRequest.Parser, Empty.Parser);

    public static readonly Method<DestroySandboxRequest, Empty> DestroySandbox =
        new(MethodType.Unary, AgentService, "DestroySandbox", DestroySandboxRequest.Parser, Empty.Parser);

    public static readonly Method<CreateContainerRequest, CreateContainerResponse> CreateContainer =
        new(MethodType.Unary, AgentService, "CreateContainer", CreateContainerRequest.Parser, CreateContainerResponse.Parser);

    public static readonly Method<ContainerRequest, Empty> StartContainer =
        new(MethodType.Unary, AgentService, "StartContainer", ContainerRequest.Parser, Empty.Parser);

    public static readonly Method<RemoveContainerRequest, Empty> RemoveContainer =
        new(MethodType.Unary, AgentService, "RemoveContainer", RemoveContainerRequest.Parser, Empty.Parser);

    public static readonly Method<ContainerRequest, Empty> PauseContainer =
        new(MethodType.Unary, AgentService, "PauseContainer", ContainerRequest.Parser, Empty.Parser);

    public static readonly Method<ContainerRequest, Empty> ResumeContainer =
        new(MethodType.Unary, AgentService, "ResumeContainer", ContainerRequest.Parser, Empty.Parser);

    public static readonly Method<UpdateContainerRequest, Empty> UpdateContainer =
        new(MethodType.Unary, AgentService, "UpdateContainer", UpdateContainerRequest.Parser, Empty.Parser);

    public static readonly Method<ContainerRequest, StatsContainerResponse> StatsContainer =
        new(MethodType.Unary, AgentService, "StatsContainer", ContainerRequest.Parser, StatsContainerResponse.Parser);

    public static readonly Method<ExecProcessRequest, ExecProcessResponse> ExecProcess =
        new(MethodType.Unary, AgentService, "ExecProcess", ExecProcessRequest.Parser, ExecProcessResponse.Parser);

    public static readonly Method<SignalProcessRequest, Empty> SignalProcess =
        new(MethodType.Unary, AgentService, "SignalProcess", SignalProcessRequest.Parser, Empty.Parser);

    public static readonly Method<ProcessRequest, WaitProcessResponse> WaitProcess =
        new(MethodType.Unary, AgentService, "WaitProcess", ProcessRequest.Parser, WaitProcessResponse.Parser);

    public static readonly Method<ContainerRequest, ListProcessesResponse> ListProcesses =
        new(MethodType.Unary, AgentService, "ListProcesses", ContainerRequest.Parser, ListProcessesResponse.Parser);

    public static readonly Method<ProcessRequest, OutputChunk> ReadStdout =
        new(MethodType.ServerStreaming, AgentService, "ReadStdout", ProcessRequest.Parser, OutputChunk.Parser);

    public static readonly Method<ProcessRequest, OutputChunk> ReadStderr =
        new(MethodType.ServerStreaming, AgentService, "ReadStderr", ProcessRequest.Parser, OutputChunk.Parser);

    public static readonly Method<WriteStdinRequest, WriteStdinResponse> WriteStdin =
        new(MethodType.Unary, AgentService, "WriteStdin", WriteStdinRequest.Parser, WriteStdinResponse.Parser);

    public static readonly Method<ProcessRequest, Empty> CloseStdin =
        new(MethodType.Unary, AgentService, "CloseStdin", ProcessRequest.Parser, Empty.Parser);

    /// <summary>
    /// The response header with which the agent accepts a StreamStdin call (its process exists), sent
    /// before any data: a caller tells it from a trailers-only answer (an error, or an agent without the method).
    /// </summary>
    public const string StdinAcceptedHeader = "sandboxrt-stdin-accepted";

    /// <summary>
    /// A request header (any value) on WaitProcess, ReadStdout, ReadStderr and StreamStdin sent together
    /// with their ExecProcess instead of after its answer: the agent waits for that exec to start (bounded;
    /// NotFound when it fails or never comes) instead of answering NotFound at once. An agent from before
    /// 2026-12-05 ignores it and answers NotFound: the host then asks again after ExecProcess.
    /// </summary>
    public const string AwaitExecHeader = "sandboxrt-await-exec";

    public static readonly Method<StdinChunk, StreamStdinResponse> StreamStdin =
        new(MethodType.ClientStreaming, AgentService, "StreamStdin", StdinChunk.Parser, StreamStdinResponse.Parser);

    public static readonly Method<TtyWinResizeRequest, Empty> TtyWinResize =
        new(MethodType.Unary, AgentService, "TtyWinResize", TtyWinResizeRequest.Parser, Empty.Parser);

    public static readonly Method<GetEventsRequest, Event> GetEvents =
        new(MethodType.ServerStreaming, AgentService, "GetEvents", GetEventsRequest.Parser, Event.Parser);

    public static readonly Method<UpdateInterfaceRequest, Interface> UpdateInterface =
        new(MethodType.Unary, AgentService, "UpdateInterface", UpdateInterfaceRequest.Parser, Interface.Parser);

    public static readonly Method<UpdateRoutesRequest, Routes> UpdateRoutes =
        new(MethodType.Unary, AgentService, "UpdateRoutes", UpdateRoutesRequest.Parser, Routes.Parser);

    public static readonly Method<RemoveRoutesRequest, Routes> RemoveRoutes =
        new(MethodType.Unary, AgentService, "RemoveRoutes", RemoveRoutesRequest.Parser, Routes.Parser);

    public static readonly Method<AddARPNeighborsRequest, Empty> AddArpNeighbors =
        new(MethodType.Unary, AgentService, "AddARPNeighbors", AddARPNeighborsRequest.Parser, Empty.Parser);

    public static readonly Method<ListInterfacesRequest, Interfaces> ListInterfaces =
        new(MethodType.Unary, AgentService, "ListInterfaces", ListInterfacesRequest.Parser, Interfaces.Parser);

    public static readonly Method<ListRoutesRequest, Routes> ListRoutes =
        new(MethodType.Unary, AgentService, "ListRoutes", ListRoutesRequest.Parser, Routes.Parser);

    /// <summary>
    /// The response header with which the agent tells the host it listens on 127.0.0.11:53 (ForwardDns),
    /// sent before any query: a caller tells it from a trailers-only answer (an error, or an agent without the method).
    /// </summary>
    public const string DnsListeningHeader = "sandboxrt-dns-listening";

    public static readonly Method<DnsAnswer, DnsQuery> ForwardDns =
        new(MethodType.DuplexStreaming, AgentService, "ForwardDns", DnsAnswer.Parser, DnsQuery.Parser);

    /// <summary>
    /// The response header with which the agent tells the host it has connected to the guest port
    /// (ForwardPort), sent before any data: a caller tells a failed connect from a trailers-only answer.
    /// </summary>
    public const string PortConnectedHeader = "sandboxrt-port-connected";

    public static readonly Method<PortData, PortData> ForwardPort =
        new(MethodType.DuplexStreaming, AgentService, "ForwardPort", PortData.Parser, PortData.Parser);
}
