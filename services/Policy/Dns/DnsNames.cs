using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmailPipeline.Policy.Dns;

/// <summary>Small helpers on domain names shared by the resolvers and the checks.</summary>
public static class DnsNames
{
    /// <summary>The in-addr.arpa / ip6.arpa name of an address; IPv4-mapped IPv6 addresses use their IPv4 form.</summary>
    public static string ReverseName(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        byte[] bytes = address.GetAddressBytes();
        var name = new StringBuilder(address.AddressFamily == AddressFamily.InterNetwork ? 29 : 73);
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                name.Append(bytes[i]).Append('.');
            }
            else
            {
                name.Append("0123456789abcdef"[bytes[i] & 0xF]).Append('.')
                    .Append("0123456789abcdef"[bytes[i] >> 4]).Append('.');
            }
        }

        return name.Append(address.AddressFamily == AddressFamily.InterNetwork ? "in-addr.arpa" : "ip6.arpa").ToString();
    }

    /// <summary>
    /// True when <paramref name="name"/> can go into a query: 1 to 253 octets, no empty label, no label over 63 octets.
    /// A single trailing dot (the root) is allowed.
    /// </summary>
    public static bool IsQueryable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length is 0 or > 253)
        {
            return false;
        }

        foreach (Range label in trimmed.AsSpan().Split('.'))
        {
            int length = label.End.GetOffset(trimmed.Length) - label.Start.GetOffset(trimmed.Length);
            if (length is 0 or > 63)
            {
                return false;
            }
        }

        return true;
    }
}
