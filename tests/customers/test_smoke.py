from kehu.accounts import access


def test_rep_sees_own_customer_and_not_other_reps(people, login):
    mine = people.customer(people.rep, "杭州云帆科技有限公司")
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    assert list(access.visible_customers(people.rep)) == [mine]
    client = login(people.rep)
    assert client.get(f"/customers/{mine.pk}/").status_code == 200
    assert client.get(f"/customers/{theirs.pk}/").status_code == 404
