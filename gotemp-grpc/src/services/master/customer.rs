//! `gotemp.customer.v1.CustomerService`: customers add nothing to master data over gRPC.

master_grpc! {
    entity: Customer (NewCustomer, CustomerChanges, CustomerFilter),
    own: [],
    proto: customer,
    message: Customer,
    linked: LinkedCustomers of LinkedCustomer.customer,
    service: customer_service_server::{CustomerService, CustomerServiceServer},
    get: get_customer (GetCustomerRequest),
    list: list_customers (ListCustomersRequest -> ListCustomersResponse.customers),
    create: create_customer (CreateCustomerRequest),
    update: update_customer (UpdateCustomerRequest),
    delete: delete_customer (DeleteCustomerRequest),
    {}
}
