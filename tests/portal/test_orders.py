"""A rectification order's page: read from the inspection API with the person's token, so
that a unit person sees its own orders and nothing of another unit's."""

from tests.portal.portal_support import home


def test_a_unit_person_reads_its_order_and_not_another_units(county_portal, county,
                                                             make_person):
    client, _found, _html = home(county_portal, make_person, "unit1", "unit", "T01")
    other_order = client.get(f"/orders/{county.ids['order_T02']}")
    assert other_order.status_code == 404
    assert "河西乡" not in other_order.get_data(as_text=True)
    assert "垃圾" not in other_order.get_data(as_text=True)
    own = client.get(f"/orders/{county.ids['order_T01']}")
    assert own.status_code == 200 and "T01：十日内完成垃圾清运" in own.get_data(as_text=True)
