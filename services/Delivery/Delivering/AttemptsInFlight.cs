namespace EmailPipeline.Delivery.Delivering;

/// <summary>
/// One turn at a time per attempt id. The Queue's outbox may send one attempt twice (it crashed after the publish,
/// before marking the row sent), and both copies can reach this worker together; the second waits for the first
/// and then finds its recipients in the journal instead of delivering them again.
/// </summary>
public sealed class AttemptsInFlight
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    /// <summary>Number of attempt ids with a turn taken or waited for (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _gates.Count;
            }
        }
    }

    public async Task<IDisposable> EnterAsync(string attemptId, CancellationToken cancellationToken)
    {
        Gate gate;
        lock (_lock)
        {
            if (!_gates.TryGetValue(attemptId, out gate!))
            {
                gate = new Gate();
                _gates.Add(attemptId, gate);
            }

            gate.Users++;
        }

        try
        {
            await gate.Turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(attemptId, gate, released: false);
            throw;
        }

        return new Turn(this, attemptId, gate);
    }

    private void Leave(string attemptId, Gate gate, bool released)
    {
        if (released)
        {
            gate.Turn.Release();
        }

        lock (_lock)
        {
            if (--gate.Users == 0)
            {
                _gates.Remove(attemptId);
                gate.Turn.Dispose();
            }
        }
    }

    private sealed class Gate
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Turn(AttemptsInFlight owner, string attemptId, Gate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(attemptId, gate, released: true);
            }
        }
    }
}
