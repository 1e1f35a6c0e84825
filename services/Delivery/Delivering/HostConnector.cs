using System.Net;
using System.Net.Sockets;
using EmailPipeline.Delivery.Routing;

namespace EmailPipeline.Delivery.Delivering;

/// <summary>
/// Opens a TCP connection to a route host: its addresses come from our resolver (so the configured DNS
/// servers decide, not the system's), tried in turn. Our SMTP and LMTP clients then run over the connected socket.
/// </summary>
public sealed class HostConnector(IMxResolver resolver)
{
    private const int MaxAddressesPerHost = 4;

    public async Task<(Socket Socket, IPAddress Address)> ConnectAsync(RouteHost host, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> addresses = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        HostFailure? last = null;
        foreach (IPAddress address in addresses.Take(MaxAddressesPerHost))
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, host.Port), cancellationToken).ConfigureAwait(false);
                return (socket, address);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = new HostFailure(host.Name, 0, "4.4.1", $"connect to {host.Name}[{address}]:{host.Port} failed: {ex.SocketErrorCode}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HostUnavailableException(last ?? new HostFailure(host.Name, 0, "4.4.4", $"{host.Name} has no usable address"));
    }

    private async Task<IReadOnlyList<IPAddress>> ResolveAsync(RouteHost host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Name.Trim('[', ']'), out IPAddress? literal))
        {
            return [literal];
        }

        if (host.Name.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback];
        }

        AddressLookup lookup = await resolver.LookupAddressesAsync(host.Name, cancellationToken).ConfigureAwait(false);
        return lookup.Status switch
        {
            DnsLookupStatus.Found => lookup.Addresses,
            DnsLookupStatus.TemporaryFailure => throw new HostUnavailableException(new HostFailure(host.Name, 0, "4.4.3", $"address lookup for {host.Name} failed: {lookup.Error}")),
            _ => throw new HostUnavailableException(new HostFailure(host.Name, 0, "4.4.4", $"{host.Name} has no address records")),
        };
    }
}
