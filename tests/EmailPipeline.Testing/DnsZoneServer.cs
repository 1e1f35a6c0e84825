using System.Collections.Concurrent;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EmailPipeline.Testing;

/// <summary>
/// A real DNS server on 127.0.0.1 (ARSoft.Tools.Net, UDP and TCP on one free port) answering from records the test
/// adds — TXT (long strings split into 255-octet character-strings, as a zone file would), A, MX — so a service's
/// DnsClient path runs over the wire. Unknown names are NXDOMAIN; names marked <see cref="Silent"/> get no answer at
/// all (a timeout).
/// </summary>
public sealed class DnsZoneServer : IDisposable
{
    private readonly DnsServer _server;
    private readonly IPEndPoint _endpoint;
    private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _silent = new(StringComparer.OrdinalIgnoreCase);

    public DnsZoneServer()
        : this(new IPEndPoint(IPAddress.Loopback, FreePorts.Take(1)[0]))
    {
    }

    /// <summary>On a given address and port, e.g. 127.53.x.y:53 for a resolver outside this process
    /// (OpenDKIM reads /etc/resolv.conf, which names no port).</summary>
    public DnsZoneServer(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Port = endpoint.Port;
        _endpoint = endpoint;
        _server = new DnsServer(new UdpServerTransport(endpoint, 2000), new TcpServerTransport(endpoint, 2000));
        _server.QueryReceived += OnQueryAsync;
        _server.Start();
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:port", as Policy:Dns:NameServers takes it.</summary>
    public string Address => _endpoint.ToString();

    public DnsZoneServer Txt(string name, string text)
    {
        var parts = new List<string>();
        for (int i = 0; i < text.Length; i += 255)
        {
            parts.Add(text.Substring(i, Math.Min(255, text.Length - i)));
        }

        return Add(name, new TxtRecord(DomainName.Parse(name), 60, parts));
    }

    public DnsZoneServer A(string name, string address) => Add(name, new ARecord(DomainName.Parse(name), 60, IPAddress.Parse(address)));

    public DnsZoneServer Mx(string domain, ushort preference, string exchange) =>
        Add(domain, new MxRecord(DomainName.Parse(domain), 60, preference, DomainName.Parse(exchange)));

    /// <summary>Queries for the name are dropped: the client times out.</summary>
    public DnsZoneServer Silent(string name)
    {
        _silent[name] = true;
        return this;
    }

    public void Dispose()
    {
        try
        {
            _server.Stop();
        }
        catch (AggregateException ex) when (ex.Flatten().InnerExceptions.All(e => e is OperationCanceledException))
        {
            // ARSoft's Stop() reports its own cancelled listener tasks; the server is stopped.
        }
    }

    private DnsZoneServer Add(string name, DnsRecordBase record)
    {
        List<DnsRecordBase> list = _records.GetOrAdd(name.TrimEnd('.'), _ => []);
        lock (list)
        {
            list.Add(record);
        }

        return this;
    }

    private Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return Task.CompletedTask;
        }

        DnsQuestion question = query.Questions[0];
        string name = question.Name.ToString().TrimEnd('.');
        if (_silent.ContainsKey(name))
        {
            return Task.CompletedTask;
        }

        DnsMessage response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        if (!_records.TryGetValue(name, out List<DnsRecordBase>? owned))
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }
        else
        {
            response.ReturnCode = ReturnCode.NoError;
            lock (owned)
            {
                foreach (DnsRecordBase record in owned.Where(r => r.RecordType == question.RecordType))
                {
                    response.AnswerRecords.Add(record);
                }
            }
        }

        e.Response = response;
        return Task.CompletedTask;
    }
}
