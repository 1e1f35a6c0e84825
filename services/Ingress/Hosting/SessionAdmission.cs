using System.Collections.Concurrent;
using System.Net;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Smtp.Replies;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Hosting;

/// <summary>Counts open sessions in total and per client address and refuses those over the limits.</summary>
internal sealed class SessionAdmission(IOptions<SmtpLimits> limits)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private int _total;

    public int Active => Volatile.Read(ref _total);

    /// <summary>Admits a session or says which 421 to send. Every admitted session must be <see cref="Release"/>d.</summary>
    public bool TryAdmit(IPAddress client, out SmtpReply refusal)
    {
        SmtpLimits l = limits.Value;
        if (Interlocked.Increment(ref _total) > l.MaxSessions)
        {
            Interlocked.Decrement(ref _total);
            refusal = SmtpReplies.TooManyConnections;
            return false;
        }

        int mine = _perClient.AddOrUpdate(client, 1, static (_, n) => n + 1);
        if (mine > l.MaxSessionsPerClient)
        {
            Release(client);
            refusal = SmtpReplies.TooManyConnectionsFromAddress;
            return false;
        }

        refusal = default;
        return true;
    }

    public void Release(IPAddress client)
    {
        Interlocked.Decrement(ref _total);
        while (true)
        {
            if (!_perClient.TryGetValue(client, out int n))
            {
                return;
            }

            if (n <= 1)
            {
                if (_perClient.TryRemove(new KeyValuePair<IPAddress, int>(client, n)))
                {
                    return;
                }
            }
            else if (_perClient.TryUpdate(client, n - 1, n))
            {
                return;
            }
        }
    }
}
