using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>A real DNS server (ARSoft.Tools.Net) on a loopback address, port 53, serving DKIM key records as TXT:
/// what a verifier outside this process (OpenDKIM) looks keys up in.</summary>
internal sealed class KeyRecordDnsServer : IDisposable
{
    private readonly DnsServer _server;
    private readonly Dictionary<DomainName, string> _records = [];

    public KeyRecordDnsServer(IPAddress address)
    {
        Address = address;
        var endpoint = new IPEndPoint(address, 53);
        _server = new DnsServer(new UdpServerTransport(endpoint, 2000), new TcpServerTransport(endpoint, 2000, 10000));
        _server.QueryReceived += OnQueryAsync;
        _server.Start();
    }

    public IPAddress Address { get; }

    public KeyRecordDnsServer Add(string selector, string domain, TestKey key)
    {
        _records[DomainName.Parse($"{selector}._domainkey.{domain}")] = key.DnsRecord;
        return this;
    }

    public void Dispose() => _server.Stop();

    private Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return Task.CompletedTask;
        }

        DnsMessage response = query.CreateResponseInstance();
        DnsQuestion question = query.Questions[0];
        if (_records.TryGetValue(question.Name, out string? txt))
        {
            response.ReturnCode = ReturnCode.NoError;
            response.IsAuthoritiveAnswer = true;
            if (question.RecordType == RecordType.Txt)
            {
                // One TXT record of several strings of at most 255 octets (RFC 6376 §3.6.2.2 joins them).
                response.AnswerRecords.Add(new TxtRecord(question.Name, 60, txt.Chunk(255).Select(c => new string(c))));
            }
        }
        else
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }

        e.Response = response;
        return Task.CompletedTask;
    }
}
