using System.Net;
using System.Net.Sockets;

namespace EmailPipeline.Testing;

public static class FreePorts
{
    /// <summary>
    /// Ports free on loopback now, taken below the kernel's ephemeral range (32768+): a port from that range
    /// may be handed to some client socket between our check and the service's bind.
    /// </summary>
    public static int[] Take(int count)
    {
        var ports = new List<int>(count);
        while (ports.Count < count)
        {
            int candidate = Random.Shared.Next(15_000, 30_000);
            if (ports.Contains(candidate))
            {
                continue;
            }

            try
            {
                var probe = new TcpListener(IPAddress.Loopback, candidate);
                probe.Start();
                probe.Stop();
                ports.Add(candidate);
            }
            catch (SocketException)
            {
                // In use; try another.
            }
        }

        return ports.ToArray();
    }
}
