using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EmailPipeline.Delivery.IntegrationTests.Infrastructure;

/// <summary>
/// A real DNS server on loopback (ARSoft.Tools.Net) answering from a small in-test zone, so the service's
/// DnsClient path runs over the wire: MX, A, CNAME, NXDOMAIN and SERVFAIL.
/// </summary>
internal sealed class TestDns : IDisposable
{
    private readonly DnsServer _server;
    private readonly List<DnsRecordBase> _records = [];
    private readonly HashSet<string> _servfail = new(StringComparer.OrdinalIgnoreCase);

    public TestDns(int port)
    {
        Port = port;
        _server = new DnsServer(new UdpServerTransport(new IPEndPoint(IPAddress.Loopback, port), 2000));
        _server.QueryReceived += OnQueryAsync;
        _server.Start();
    }

    public int Port { get; }

    public TestDns Mx(string domain, ushort preference, string exchange)
    {
        _records.Add(new MxRecord(DomainName.Parse(domain), 60, preference, exchange == "." ? DomainName.Root : DomainName.Parse(exchange)));
        return this;
    }

    public TestDns A(string name, string address)
    {
        _records.Add(new ARecord(DomainName.Parse(name), 60, IPAddress.Parse(address)));
        return this;
    }

    public TestDns Cname(string name, string target)
    {
        _records.Add(new CNameRecord(DomainName.Parse(name), 60, DomainName.Parse(target)));
        return this;
    }

    public TestDns ServFail(string name)
    {
        _servfail.Add(name);
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
        string name = question.Name.ToString().TrimEnd('.');
        if (_servfail.Contains(name))
        {
            response.ReturnCode = ReturnCode.ServerFailure;
            e.Response = response;
            return Task.CompletedTask;
        }

        var owned = _records.Where(r => r.Name.Equals(question.Name)).ToList();
        if (owned.Count == 0)
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }
        else
        {
            response.ReturnCode = ReturnCode.NoError;
            response.IsAuthoritiveAnswer = true;
            foreach (DnsRecordBase record in owned.Where(r => r.RecordType == question.RecordType || r.RecordType == RecordType.CName))
            {
                response.AnswerRecords.Add(record);
            }
        }

        e.Response = response;
        return Task.CompletedTask;
    }
}
