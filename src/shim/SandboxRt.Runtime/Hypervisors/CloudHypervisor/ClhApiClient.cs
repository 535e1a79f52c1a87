using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// Cloud Hypervisor's REST API (vmm/src/api/openapi/cloud-hypervisor.yaml): HTTP/1.1 on the Unix socket
/// given with --api-socket, paths under /api/v1. Every request has the configured timeout; an answer
/// other than 2xx is a <see cref="HypervisorException"/> that names the socket, the request and the
/// VMM's own error text.
/// </summary>
internal sealed class ClhApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ClhApiClient(string socketPath, TimeSpan timeout)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/api/v1/"), Timeout = timeout };
    }

    public string SocketPath { get; }

    /// <summary>GET, returning the body.</summary>
    public async Task<string> GetAsync(string endpoint, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, endpoint, null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>PUT with an optional JSON body.</summary>
    public async Task PutAsync(string endpoint, JsonNode? body = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Put, endpoint, body, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string endpoint, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, endpoint);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new HypervisorException($"cloud-hypervisor API {SocketPath}: {method} /api/v1/{endpoint}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HypervisorException($"cloud-hypervisor API {SocketPath}: {method} /api/v1/{endpoint}: no answer within {_http.Timeout.TotalSeconds:F0} s (cloud_hypervisor.api_timeout_seconds)", e);
        }
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HypervisorException(
                $"cloud-hypervisor API {SocketPath}: {method} /api/v1/{endpoint}: {(int)response.StatusCode} {response.ReasonPhrase}: {Diagnostics.SafeText.Escape(text, 500)}");
        }
    }

    public void Dispose() => _http.Dispose();
}
