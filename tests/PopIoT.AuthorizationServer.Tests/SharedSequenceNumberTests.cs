using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Oscore;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The AS's OSCORE Sender Sequence Numbers when several AS instances share a peer's context through one database
/// (RFC 8613 Appendix B.1.1): the numbers one instance uses never meet another's, before or after a restart, or the
/// AES-CCM nonce (Sender ID, Partial IV) would repeat under one key.
/// </summary>
public abstract class SharedSequenceNumberTests(StoreKind kind) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public void Two_instances_and_a_restart_never_use_one_sender_sequence_number_twice()
    {
        TestStore db = TestStore.Create(kind, out IAuthorizationStore a);
        _owned.Add(db);
        _owned.Add(a);
        IAuthorizationStore b = AuthorizationStores.Open(db.Db);
        _owned.Add(b);

        // Both instances load the peer's context before either sends (as at a fleet's start), then take turns, each
        // using more than one reservation step.
        var first = new ContextNumbers(new StoreSequenceNumberStore(a, "client:gw1"));
        var second = new ContextNumbers(new StoreSequenceNumberStore(b, "client:gw1"));
        var used = new List<long>();
        for (int i = 0; i < 300; i++)
        {
            used.Add(first.Take());
            used.Add(second.Take());
        }

        // An instance restarted (its context loaded afresh) goes on above all of them.
        var restarted = new ContextNumbers(new StoreSequenceNumberStore(b, "client:gw1"));
        for (int i = 0; i < 100; i++)
        {
            used.Add(restarted.Take());
            used.Add(first.Take());
        }

        Assert.Equal(used.Count, used.Distinct().Count());
    }

    [SkippableFact]
    public void A_stored_sequence_number_mark_never_moves_down()
    {
        TestStore db = TestStore.Create(kind, out IAuthorizationStore a);
        _owned.Add(db);
        _owned.Add(a);

        // A late write of an older mark (another instance, or a copy of an older database) must not hand numbers
        // already reserved out again: the AES-CCM nonce (Sender ID, Partial IV) would repeat (RFC 8613 §7.2.1).
        a.SaveSequenceNumber("client:gw1", 4096);
        a.SaveSequenceNumber("client:gw1", 64);
        Assert.True(a.TryLoadSequenceNumber("client:gw1", out long mark));
        Assert.Equal(4096, mark);
        Assert.Equal(4096, a.ClaimSequenceNumbers("client:gw1", 16));
    }

    // What SecurityContext does with its store (ISequenceNumberStore's contract): start at the loaded value, and write
    // a value K ahead before using a number at or above the last value written.
    private sealed class ContextNumbers
    {
        private const long Step = 64;
        private readonly ISequenceNumberStore _store;
        private long _next;
        private long _reservedUntil;

        public ContextNumbers(ISequenceNumberStore store)
        {
            _store = store;
            _next = store.TryLoad(out long stored) && stored > 0 ? stored : 0;
            _reservedUntil = _next;
        }

        public long Take()
        {
            if (_next >= _reservedUntil)
            {
                _store.Save(_next + Step);
                _reservedUntil = _next + Step;
            }

            return _next++;
        }
    }
}

/// <summary>The numbers on SQLite (two store objects on one file).</summary>
public sealed class SharedSequenceNumberTestsOnSqlite() : SharedSequenceNumberTests(StoreKind.Sqlite);

/// <summary>The numbers on PostgreSQL.</summary>
public sealed class SharedSequenceNumberTestsOnPostgres() : SharedSequenceNumberTests(StoreKind.Postgres);
