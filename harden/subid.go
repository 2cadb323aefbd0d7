package harden

import (
	"sort"
)

// AdminSubIDReserve is left free for the admin user: useradd gives a new
// regular user the lowest free range from SUB_UID_MIN on images that ship
// /etc/subuid (MicroOS, Debian), before Ignition appends our lines, so the
// allocation starts above it.
var AdminSubIDReserve = SubIDRange{Start: SubIDMin, Count: SubIDDefaultCount}

// SubIDAssignment is the UID and subordinate range a container user gets.
type SubIDAssignment struct {
	User  string
	UID   uint32
	Range SubIDRange
}

type interval struct{ start, end uint64 } // [start, end)

func (a interval) overlaps(b interval) bool { return a.start < b.end && b.start < a.end }

// AllocateSubIDs gives every user a UID and a subordinate ID range, in the
// users' order. Explicit UIDs and ranges are kept; the others are assigned
// first-fit: UIDs from DefaultContainerUID, ranges of at least 65536 IDs from
// SubIDMin above AdminSubIDReserve, never overlapping each other, an
// explicit range or any user's UID. Adding a user without explicit values at
// the end never moves the earlier users' assignments.
func AllocateSubIDs(users []ContainerUser) ([]SubIDAssignment, error) {
	var c collector
	out := make([]SubIDAssignment, len(users))
	uids := assignUIDs(users, &c)

	var blocked []interval
	blocked = append(blocked, interval{uint64(AdminSubIDReserve.Start), AdminSubIDReserve.End()})
	for _, uid := range uids {
		blocked = append(blocked, interval{uint64(uid), uint64(uid) + 1})
	}
	for i, u := range users {
		out[i] = SubIDAssignment{User: u.Name, UID: uids[i]}
		if u.SubIDs == nil {
			continue
		}
		p := Path{"container_users", i, "subid_start"}
		r := *u.SubIDs
		iv := interval{uint64(r.Start), r.End()}
		switch {
		case r.Start < SubIDMin:
			c.add(p, "Subordinate ID range below 100000",
				"%s's range starts at %d; subordinate IDs start at %d (SUB_UID_MIN) so that they never "+
					"map onto the node's own users. Use %d or above.", u.Name, r.Start, SubIDMin,
				AdminSubIDReserve.End())
			continue
		case iv.overlaps(interval{uint64(AdminSubIDReserve.Start), AdminSubIDReserve.End()}):
			c.add(p, "Subordinate ID range reserved for the admin user",
				"%s's range %d-%d overlaps %d-%d, which is reserved for the admin user's default range "+
					"(useradd gives it to the admin before Ignition appends the container users' lines, so "+
					"the subid check could never pass). Start at %d or above.", u.Name, r.Start, r.End()-1,
				AdminSubIDReserve.Start, AdminSubIDReserve.End()-1, AdminSubIDReserve.End())
			continue
		case r.Count < SubIDDefaultCount:
			c.add(Path{"container_users", i, "subid_count"}, "Subordinate ID range too small",
				"%s has %d subordinate IDs; give at least %d so that images with the usual ID layout can be pulled.",
				u.Name, r.Count, SubIDDefaultCount)
			continue
		case r.End() > 1<<32:
			c.add(p, "Subordinate ID range exceeds the 32-bit ID space",
				"%s: %d+%d ends past 4294967295; choose a lower start or a smaller count.", u.Name, r.Start, r.Count)
			continue
		}
		for j, uid := range uids {
			if iv.overlaps(interval{uint64(uid), uint64(uid) + 1}) {
				c.add(p, "Subordinate ID range contains a user ID",
					"%s's range %d-%d contains UID %d of %s; move the range or the UID.",
					u.Name, r.Start, r.End()-1, uid, users[j].Name)
			}
		}
		for j := 0; j < i; j++ {
			if o := users[j].SubIDs; o != nil && iv.overlaps(interval{uint64(o.Start), o.End()}) {
				c.add(p, "Overlapping subordinate ID ranges",
					"%s's range %d-%d overlaps %s's range %d-%d; ranges must be disjoint.",
					u.Name, r.Start, r.End()-1, users[j].Name, o.Start, o.End()-1)
			}
		}
		out[i].Range = r
		blocked = append(blocked, iv)
	}
	if err := c.err(); err != nil {
		return nil, err
	}

	for i, u := range users {
		if u.SubIDs != nil {
			continue
		}
		count := u.SubIDCount
		if count == 0 {
			count = SubIDDefaultCount
		}
		if count < SubIDDefaultCount {
			c.add(Path{"container_users", i, "subid_count"}, "Subordinate ID range too small",
				"%s asks for %d subordinate IDs; give at least %d.", u.Name, count, SubIDDefaultCount)
			continue
		}
		start, ok := firstFit(blocked, SubIDMin, uint64(count))
		if !ok {
			c.add(Path{"container_users", i, "subid_count"}, "Subordinate ID space exhausted",
				"no free range of %d IDs for %s below 4294967296; use smaller ranges.", count, u.Name)
			continue
		}
		out[i].Range = SubIDRange{Start: uint32(start), Count: count}
		blocked = append(blocked, interval{start, start + uint64(count)})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// firstFit returns the lowest start >= from whose [start, start+count) misses
// every blocked interval and ends within the 32-bit ID space.
func firstFit(blocked []interval, from, count uint64) (uint64, bool) {
	sorted := append([]interval(nil), blocked...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].start < sorted[j].start })
	start := from
	for _, b := range sorted {
		if b.overlaps(interval{start, start + count}) {
			start = b.end
		}
	}
	return start, start+count <= 1<<32
}

// assignUIDs keeps explicit UIDs and gives the others the next free one from
// DefaultContainerUID, reporting duplicates and UIDs in the system range.
func assignUIDs(users []ContainerUser, c *collector) []uint32 {
	uids := make([]uint32, len(users))
	used := make(map[uint32]int)
	for i, u := range users {
		if u.UID == 0 {
			continue
		}
		p := Path{"container_users", i, "uid"}
		if why := reservedUID(u.UID); why != "" {
			c.add(p, "Reserved user ID",
				"%s has UID %d: %s. Choose a UID from 1000 to 99999, or leave uid unset to get the next "+
					"free one from %d.", u.Name, u.UID, why, DefaultContainerUID)
		}
		if j, dup := used[u.UID]; dup {
			c.add(p, "Duplicate user ID", "%s and %s both have UID %d.", users[j].Name, u.Name, u.UID)
		}
		used[u.UID] = i
		uids[i] = u.UID
	}
	next := uint32(DefaultContainerUID)
	for i, u := range users {
		if u.UID != 0 {
			continue
		}
		for _, taken := used[next]; taken; _, taken = used[next] {
			next++
		}
		uids[i] = next
		used[next] = i
	}
	return uids
}
