using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>A real DNS server on loopback (ARSoft.Tools.Net) that knows no name at all: every query gets
/// NXDOMAIN, so delivery's MX lookup for an unknown domain runs over the wire and ends in a bounce, and the
/// Policy service's SPF/DMARC/DNSBL lookups find nothing instead of waiting on the internet.</summary>
internal sealed class TestDns : IDisposable
{
    private readonly DnsServer _server;
    private int _queries;

    public TestDns(int port)
    {
        Port = port;
        _server = new DnsServer(new UdpServerTransport(new IPEndPoint(IPAddress.Loopback, port), 2000));
        _server.QueryReceived += OnQueryAsync;
        _server.Start();
    }

    public int Port { get; }

    public int Queries => _queries;

    public void Dispose() => _server.Stop();

    private Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is DnsMessage query)
        {
            Interlocked.Increment(ref _queries);
            DnsMessage response = query.CreateResponseInstance();
            response.ReturnCode = ReturnCode.NxDomain;
            e.Response = response;
        }

        return Task.CompletedTask;
    }
}
